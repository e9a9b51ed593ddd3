// Command bench measures Ringdesk against real anchors on this machine and writes the results
// into BENCHMARKS.md. Each benchmark runs several times and reports medians; each has an
// anchor measured in the same run (SIPp against itself, Kamailio, rtpengine, a bare channel
// send), so that figures from noisy machines can be compared as ratios.
//
//	go run ./bench                 every benchmark, results into BENCHMARKS.md
//	go run ./bench -only tickets   one of: routing events tickets reports memory callrate concurrent recording cluster
//	go run ./bench -runs 3 -quick  fewer repetitions and smaller loads, for a smoke test
//
// Every load loop is bounded in count and time, and all traffic stays on 127.0.0.1. The
// tools it drives (sipp, kamailio, rtpengine) are installed by scripts/install-test-deps.sh.
package main
