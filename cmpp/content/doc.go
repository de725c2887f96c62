// Package content turns SMS text into CMPP Msg_Content and back.
//
// It covers the three content jobs of an SP gateway (PROTOCOL.md §8):
//
//   - encoding: choosing ASCII (Msg_Fmt 0), UCS2 (8, UTF-16BE without BOM) or
//     GBK (15) for a text and rejecting characters the chosen encoding cannot
//     carry (never substituting '?');
//   - splitting: cutting a long text into concatenated segments with a 6-byte
//     (8-bit reference) or 7-byte (16-bit reference) UDH, on character
//     boundaries only: a UTF-16 surrogate pair or a GBK double-byte character
//     is never cut (see Splitter);
//   - MO reassembly: parsing the UDH of incoming segments tolerantly, joining
//     the raw bytes of all segments in index order and only then decoding, so
//     that senders which cut characters blindly still produce correct text
//     (see Reassembler, ParseUDH, Join and Decode).
//
// The package is independent of package cmpp: Msg_Fmt values are plain uint8
// constants (FmtASCII, FmtBinary, FmtUCS2, FmtGBK) and TP_udhi is a bool or
// the raw byte tested with HasUDHI.
package content
