#!/bin/sh
# Re-creates the built-in spoken prompts with espeak-ng (Korean voice) and sox:
# 8 kHz mono 16-bit WAV, trimmed of silence, a little quieter than full scale. No dither
# (-D), so that running it again gives the same bytes.
# Run from this folder: go generate ./internal/media
set -e
say() {
	espeak-ng -v ko -s 150 -w "$1.raw.wav" "$2"
	sox -D "$1.raw.wav" -r 8000 -c 1 -b 16 -e signed-integer "$1.wav" silence 1 0.05 0.5% reverse silence 1 0.05 0.5% reverse gain -n -3 pad 0.2 0.3
	rm -f "$1.raw.wav"
}
say greeting "안녕하세요. 고객센터입니다. 잠시만 기다려 주십시오."
say hangup "폭언 등으로 상담을 종료합니다."
say recording "통화 내용이 녹음됩니다."
