package media

// G.711 tables, built once: linear → law for players (65,536 entries each) and the direct
// PCMU ↔ PCMA maps the bridge uses when two legs chose different laws.

var (
	ulawEncode [65536]byte
	alawEncode [65536]byte
	ulawDecode [256]int16
	alawDecode [256]int16
	ulawToAlaw [256]byte
	alawToUlaw [256]byte
)

func init() {
	for i := 0; i < 256; i++ {
		ulawDecode[i] = ulawToLinear(byte(i))
		alawDecode[i] = alawToLinear(byte(i))
	}
	for i := 0; i < 65536; i++ {
		s := int16(uint16(i))
		ulawEncode[i] = linearToUlaw(s)
		alawEncode[i] = linearToAlaw(s)
	}
	for i := 0; i < 256; i++ {
		ulawToAlaw[i] = alawEncode[uint16(ulawDecode[i])]
		alawToUlaw[i] = ulawEncode[uint16(alawDecode[i])]
	}
}

func linearToUlaw(s int16) byte {
	const bias, clip = 0x84, 32635
	v := int(s)
	sign := byte(0)
	if v < 0 {
		v, sign = -v, 0x80
	}
	if v > clip {
		v = clip
	}
	v += bias
	exp := 7
	for mask := 0x4000; v&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	man := (v >> (exp + 3)) & 0x0F
	return ^(sign | byte(exp<<4) | byte(man))
}

func ulawToLinear(u byte) int16 {
	u = ^u
	t := (int(u&0x0F) << 3) + 0x84
	t <<= (u & 0x70) >> 4
	if u&0x80 != 0 {
		return int16(0x84 - t)
	}
	return int16(t - 0x84)
}

func linearToAlaw(s int16) byte {
	v := int(s)
	mask := byte(0xD5)
	if v < 0 {
		mask = 0x55
		v = -v - 1
	}
	v >>= 3 // 13-bit magnitude
	var seg byte
	for seg = 0; seg < 8; seg++ {
		if v <= [8]int{0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF}[seg] {
			break
		}
	}
	var a byte
	if seg >= 8 {
		a = 0x7F
	} else {
		a = seg << 4
		if seg < 2 {
			a |= byte(v>>1) & 0x0F
		} else {
			a |= byte(v>>seg) & 0x0F
		}
	}
	return a ^ mask
}

func alawToLinear(a byte) int16 {
	a ^= 0x55
	t := int(a&0x0F) << 4
	seg := (a & 0x70) >> 4
	switch seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

// Encode writes samples in codec c into dst (one byte a sample) and returns it.
func Encode(c Codec, dst []byte, samples []int16) []byte {
	dst = dst[:0]
	table := &ulawEncode
	if c.Name == "PCMA" {
		table = &alawEncode
	}
	for _, s := range samples {
		dst = append(dst, table[uint16(s)])
	}
	return dst
}

// Decode writes the samples of payload (in codec c) into dst and returns it.
func Decode(c Codec, dst []int16, payload []byte) []int16 {
	dst = dst[:0]
	table := &ulawDecode
	if c.Name == "PCMA" {
		table = &alawDecode
	}
	for _, b := range payload {
		dst = append(dst, table[b])
	}
	return dst
}

// transcode writes src (in from's law) into dst (in to's law); dst may be src. It maps each
// byte through one 256-entry table: no trip through linear samples on the packet path.
func transcode(from, to Codec, dst, src []byte) {
	var table *[256]byte
	switch {
	case from.Name == "PCMU" && to.Name == "PCMA":
		table = &ulawToAlaw
	case from.Name == "PCMA" && to.Name == "PCMU":
		table = &alawToUlaw
	default:
		copy(dst, src)
		return
	}
	dst = dst[:len(src)]
	for i, b := range src {
		dst[i] = table[b]
	}
}

// silenceByte is the code for a zero sample in c's law.
func silenceByte(c Codec) byte {
	if c.Name == "PCMA" {
		return 0xD5
	}
	return 0xFF
}
