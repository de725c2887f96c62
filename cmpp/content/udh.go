package content

import "fmt"

// Information Element Identifiers of the concatenation elements
// (GSM 03.40 §9.2.3.24).
const (
	// IEIConcat8 is the concatenation element with an 8-bit reference.
	IEIConcat8 byte = 0x00
	// IEIConcat16 is the concatenation element with a 16-bit reference.
	IEIConcat16 byte = 0x08
)

// UDH is the concatenation information found in a User Data Header.
type UDH struct {
	// Len is the length of the whole header in bytes, UDHL byte included;
	// the payload starts at this offset.
	Len int
	// Concat reports whether a concatenation element was found. When it is
	// false the other fields below are zero and the content is one whole
	// message (a UDH may carry only, say, port addresses).
	Concat bool
	// Wide reports a 16-bit reference.
	Wide bool
	// Reference is the concatenation reference (0..255 when !Wide).
	Reference uint16
	// Total is the number of segments the message claims.
	Total uint8
	// Index is this segment's 1-based index.
	Index uint8
}

// HasUDHI reports whether a TP_udhi byte announces a UDH. Some gateways
// forward the SMPP esm_class value 0x40 instead of 1 (PROTOCOL.md §11.8).
func HasUDHI(tpUDHI uint8) bool { return tpUDHI&0x41 != 0 }

// ParseUDH parses the User Data Header at the start of content and returns
// it with the payload that follows it (a subslice of content).
//
// It is tolerant (PROTOCOL.md §8.3): the concatenation element is found by
// IEI 0x00 or 0x08, but its reference width is taken from IEDL (3 → 8-bit,
// 4 → 16-bit), since some senders write 06 00 04 …; a concatenation IEI with
// any other IEDL, and every other element, is skipped. When the element is
// repeated the last one counts (GSM 03.40). Total and Index are returned as
// found, even when zero or inconsistent; see ParsePart for their meaning.
// A header or element that claims more bytes than present is an error.
func ParseUDH(content []byte) (UDH, []byte, error) {
	if len(content) == 0 {
		return UDH{}, nil, ErrUDHMissing
	}
	end := 1 + int(content[0])
	if end > len(content) {
		return UDH{}, nil, fmt.Errorf("%w: UDHL %d, %d bytes follow", ErrUDHTruncated, content[0], len(content)-1)
	}
	h := UDH{Len: end}
	for off := 1; off < end; {
		if off+2 > end {
			return UDH{}, nil, fmt.Errorf("%w: information element at offset %d cut by UDHL", ErrUDHTruncated, off)
		}
		iei, iedl := content[off], int(content[off+1])
		data := off + 2
		if data+iedl > end {
			return UDH{}, nil, fmt.Errorf("%w: IEI 0x%02x IEDL %d at offset %d exceeds UDHL", ErrUDHTruncated, iei, iedl, off)
		}
		if iei == IEIConcat8 || iei == IEIConcat16 {
			switch iedl {
			case 3:
				h.Concat, h.Wide = true, false
				h.Reference = uint16(content[data])
				h.Total, h.Index = content[data+1], content[data+2]
			case 4:
				h.Concat, h.Wide = true, true
				h.Reference = uint16(content[data])<<8 | uint16(content[data+1])
				h.Total, h.Index = content[data+2], content[data+3]
			}
		}
		off = data + iedl
	}
	return h, content[end:], nil
}

// appendConcatUDH appends the 6-byte (wide == false) or 7-byte (wide)
// concatenation UDH.
func appendConcatUDH(b []byte, wide bool, ref uint16, total, index uint8) []byte {
	if wide {
		return append(b, 0x06, IEIConcat16, 0x04, byte(ref>>8), byte(ref), total, index)
	}
	return append(b, 0x05, IEIConcat8, 0x03, byte(ref), total, index)
}
