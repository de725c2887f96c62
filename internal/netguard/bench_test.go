package netguard

import "testing"

// The checks run once per event (CheckURL, in the dispatcher) and once per
// new connection (DialControl): they must stay far below a POST's cost.
func BenchmarkCheckURL(b *testing.B) {
	p := Policy{Hosts: []string{"*.example.com"}}
	for b.Loop() {
		if err := CheckURL("https://hooks.example.com:8443/sms/status?tenant=acme", p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDialControl(b *testing.B) {
	for b.Loop() {
		if err := DialControl("tcp6", "[2606:4700::1111]:443", nil); err != nil {
			b.Fatal(err)
		}
	}
}
