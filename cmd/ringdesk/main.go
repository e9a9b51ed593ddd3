// Command ringdesk is the contact-center helpdesk with its own phone system: one binary that
// serves the web console and API, the SIP registrar and B2BUA, and the media relay.
//
// This file only parses flags and wires packages together; every decision lives elsewhere.
package main

import (
	"fmt"
	"os"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 {
		usage()
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(args[1:])
	case "apply":
		err = apply(args[1:])
	case "user":
		err = user(args[1:])
	case "version", "--version", "-v":
		fmt.Println("ringdesk", version)
		return 0
	case "help", "-h", "--help":
		usage()
		return 0
	default:
		fmt.Fprintf(os.Stderr, "ringdesk: unknown command %q\n\n", args[0])
		usage()
		return 2
	}
	if err != nil {
		if _, ok := err.(helpShown); ok {
			return 0
		}
		if u, ok := err.(usageError); ok {
			fmt.Fprintln(os.Stderr, "ringdesk:", u.msg)
			return 2
		}
		fmt.Fprintln(os.Stderr, "ringdesk:", err)
		return 1
	}
	return 0
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usage() {
	fmt.Fprint(os.Stderr, `usage:
  ringdesk serve [--data DIR] [--http ADDR] [--sip ADDR] [--rtp-ports LOW-HIGH] [--apply FILE] [--db URL]
                 [--tls-cert FILE --tls-key FILE] [--trusted-proxy CIDR]...
                 [--drain DURATION] [--recordings DIR] [--recordings-bucket s3://…]
                 [--db postgres://… --node NAME --advertise ADDR]    (one node of a cluster)
                 (ringdesk serve --help lists every flag)
  ringdesk apply -f FILE [--data DIR | --db URL]
  ringdesk user passwd LOGIN [--data DIR | --db URL]    (new password from RINGDESK_PASSWORD or stdin)
  ringdesk version

Every flag has an environment twin: --data is RINGDESK_DATA, --rtp-ports is RINGDESK_RTP_PORTS, …
`)
}
