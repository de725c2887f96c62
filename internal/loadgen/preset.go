package loadgen

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Preset is a named scenario of `smsbridge bench`: default values of some
// of its flags. Flags given on the command line still win.
type Preset struct {
	// Name is what -preset takes; Aliases are other names for it.
	Name    string
	Aliases []string
	// Summary says what traffic it models.
	Summary string
	// Flags are the flag values it sets, in the order they are listed.
	Flags []PresetFlag
}

// PresetFlag is one flag value of a Preset (as on the command line).
type PresetFlag struct {
	Name, Value string
}

// Presets are the named scenarios, the workloads of issue #12's targets.
var Presets = []Preset{
	{
		Name: "otp", Aliases: []string{"single"},
		Summary: "verification codes: 1 recipient per request, one webhook per event (2,000 msg/s)",
		Flags: []PresetFlag{
			{"recipients", "1"}, {"segments", "1"}, {"webhook-batch", "0"},
			{"rate", "2000"}, {"links", "4"}, {"duration", "60s"},
		},
	},
	{
		Name:    "bulk",
		Summary: "bulk sends: 100 recipients per request, webhooks batched 64 per POST (15,000 seg/s)",
		Flags: []PresetFlag{
			{"recipients", "100"}, {"segments", "1"}, {"webhook-batch", "64"},
			{"rate", "150"}, {"links", "8"}, {"duration", "60s"},
		},
	},
}

// LookupPreset returns the preset called name (or one of its aliases).
func LookupPreset(name string) (Preset, bool) {
	for _, p := range Presets {
		if p.Name == name || slices.Contains(p.Aliases, name) {
			return p, true
		}
	}
	return Preset{}, false
}

// PresetNames lists every name -preset accepts.
func PresetNames() []string {
	var out []string
	for _, p := range Presets {
		out = append(out, p.Name)
		out = append(out, p.Aliases...)
	}
	return out
}

// WritePresets lists the presets and their flag values.
func WritePresets(w io.Writer) {
	fmt.Fprintln(w, "presets (-preset NAME; flags given on the command line win):")
	for _, p := range Presets {
		name := p.Name
		if len(p.Aliases) > 0 {
			name += " (alias " + strings.Join(p.Aliases, ", ") + ")"
		}
		var flags []string
		for _, f := range p.Flags {
			flags = append(flags, "-"+f.Name+" "+f.Value)
		}
		fmt.Fprintf(w, "  %s: %s\n      %s\n", name, p.Summary, strings.Join(flags, " "))
	}
}
