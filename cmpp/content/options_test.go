package content

import (
	"errors"
	"testing"
)

func TestParseEncoding(t *testing.T) {
	for in, want := range map[string]Encoding{
		"": EncodingAuto, "auto": EncodingAuto, " AUTO ": EncodingAuto,
		"ascii": EncodingASCII, "UCS2": EncodingUCS2, "gbk": EncodingGBK,
	} {
		got, err := ParseEncoding(in)
		if err != nil || got != want {
			t.Errorf("ParseEncoding(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"utf8", "gb2312", "ucs-2", "latin1"} {
		if _, err := ParseEncoding(in); !errors.Is(err, ErrUnknownEncoding) {
			t.Errorf("ParseEncoding(%q) err = %v", in, err)
		}
	}
	for enc, want := range map[Encoding]uint8{EncodingASCII: FmtASCII, EncodingUCS2: FmtUCS2, EncodingGBK: FmtGBK} {
		if f, ok := enc.MsgFmt(); !ok || f != want {
			t.Errorf("%s.MsgFmt() = %d, %v", enc, f, ok)
		}
	}
	if _, ok := EncodingAuto.MsgFmt(); ok {
		t.Error("auto has a Msg_Fmt")
	}
}

func TestIsPlainASCII(t *testing.T) {
	for s, want := range map[string]bool{
		"Hello, world! ~{}[]|\\^`": true, "a\r\nb": true, "": true,
		"a\tb": false, "\x00": false, "\x7f": false, "café": false, "你": false,
	} {
		if IsPlainASCII(s) != want {
			t.Errorf("IsPlainASCII(%q) = %v", s, !want)
		}
	}
}

func TestOptionsDefaults(t *testing.T) {
	got := NewSplitter(Options{}).Options()
	want := Options{Encoding: EncodingAuto, ASCIISingleLimit: 140, ASCIISegmentLimit: 134, MaxSegments: 10}
	if got != want {
		t.Fatalf("defaults %+v, want %+v", got, want)
	}
	got = NewSplitter(Options{UDH16: true, Encoding: "GBK"}).Options()
	want = Options{Encoding: EncodingGBK, UDH16: true, ASCIISingleLimit: 140, ASCIISegmentLimit: 133, MaxSegments: 10}
	if got != want {
		t.Fatalf("UDH16 defaults %+v, want %+v", got, want)
	}
	o := Options{}.withDefaults()
	for _, c := range []struct {
		fmt    uint8
		single bool
		want   limits
	}{
		{FmtUCS2, true, limits{bytes: 140}},
		{FmtUCS2, false, limits{bytes: 134}},
		{FmtGBK, true, limits{bytes: 140, chars: 70}},
		{FmtGBK, false, limits{bytes: 134, chars: 67}},
		{FmtASCII, true, limits{bytes: 140}},
		{FmtASCII, false, limits{bytes: 134}},
	} {
		if got := o.limits(c.fmt, c.single); got != c.want {
			t.Errorf("limits(%d, %v) = %+v, want %+v", c.fmt, c.single, got, c.want)
		}
	}
	o16 := Options{UDH16: true, SignatureReserve: 5}.withDefaults()
	if got := o16.limits(FmtUCS2, false); got != (limits{bytes: 122}) {
		t.Errorf("UDH16 reserve 5 UCS2 segment %+v", got)
	}
	if got := o16.limits(FmtGBK, false); got != (limits{bytes: 123, chars: 61}) {
		t.Errorf("UDH16 reserve 5 GBK segment %+v", got)
	}
}

func TestOptionsValidate(t *testing.T) {
	valid := []Options{
		{},
		{SignatureReserve: 65},
		{ASCIISingleLimit: 159, ASCIISegmentLimit: 153},
		{UDH16: true, ASCIISingleLimit: 159, ASCIISegmentLimit: 152},
		{MaxSegments: 255},
		{MaxSegments: 1},
	}
	for _, o := range valid {
		if err := o.Validate(); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
	invalid := []Options{
		{Encoding: "utf8"},
		{SignatureReserve: -1},
		{SignatureReserve: 66},                // a UCS2 segment could not hold a surrogate pair
		{UDH16: true, SignatureReserve: 65},   // idem with 66 units
		{ASCIISingleLimit: 160},               // spec: Msg_Length < 160
		{ASCIISingleLimit: -1},                //
		{ASCIISegmentLimit: 154},              // 154 + 6 > 159
		{UDH16: true, ASCIISegmentLimit: 153}, // 153 + 7 > 159
		{ASCIISingleLimit: 100},               // segment 134 above single 100
		{MaxSegments: 256},                    //
		{MaxSegments: -2},                     //
		{ASCIISingleLimit: 20, ASCIISegmentLimit: 20, SignatureReserve: 20},
	}
	for _, o := range invalid {
		err := o.Validate()
		if !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%+v: err = %v, want ErrInvalidOptions", o, err)
			continue
		}
		if _, serr := NewSplitter(o).Split("a"); !errors.Is(serr, ErrInvalidOptions) {
			t.Errorf("%+v: Split err = %v", o, serr)
		}
	}
}
