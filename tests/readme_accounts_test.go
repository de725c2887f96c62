package tests

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
)

// TestReadmeAccounts runs the README's "Customers and channels at runtime"
// commands, read from README.md, against the built binary in demo mode
// with an admin key: the tenant is created, its key sends a request whose
// webhook reaches the demo receiver with a valid signature, and after the
// rotation the first key is refused while the new one works.
func TestReadmeAccounts(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed; the README's commands use it")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	add := codeBlockAfter(t, string(readme), "<!-- accounts-add -->")
	rotate := codeBlockAfter(t, string(readme), "<!-- accounts-rotate -->")
	admin := "readme-admin-key-0123456789"
	demo := startDemo(t, "SMSBRIDGE_HTTP_ADMIN_KEY="+admin)

	ports := strings.NewReplacer("127.0.0.1:8080", demo.apiAddr, "127.0.0.1:8081", demo.hookAddr)
	script := "set -eu\n" + ports.Replace(add) + "\necho\necho \"@@KEY=$KEY\"\n" +
		ports.Replace(rotate) + "\necho \"@@NEW_KEY=$NEW_KEY\"\n"
	cmd := exec.Command("bash", "-c", script)
	cmd.Env = append(os.Environ(), "ADMIN="+admin)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("README commands: %v\n%s", err, out)
	}
	// curl prints bodies without a final newline: find what is needed by
	// pattern.
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^@@(\w+)=(\S+)$`).FindAllStringSubmatch(string(out), -1) {
		vars[m[1]] = m[2]
	}
	var requestID string
	if m := regexp.MustCompile(`"id":"([^"]+)","status":"queued"`).FindStringSubmatch(string(out)); m != nil {
		requestID = m[1]
	}
	if !regexp.MustCompile(`(?m)204$`).MatchString(string(out)) {
		t.Errorf("the README's key revocation did not answer 204:\n%s", out)
	}
	if requestID == "" || vars["KEY"] == "" || vars["NEW_KEY"] == "" || vars["KEY"] == vars["NEW_KEY"] {
		t.Fatalf("README commands gave no queued request or keys:\n%s", out)
	}
	base := "http://" + demo.apiAddr
	if code := postStatus(t, base, vars["KEY"]); code != http.StatusUnauthorized {
		t.Errorf("revoked key: %d, want 401", code)
	}
	if code := postStatus(t, base, vars["NEW_KEY"]); code != http.StatusAccepted {
		t.Errorf("new key: %d, want 202", code)
	}
	testenv.WaitFor(t, 20*time.Second, "the shop tenant's webhook, validly signed, at the demo receiver", func() bool {
		resp, err := http.Get("http://" + demo.hookAddr + "/webhooks")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var hooks []struct {
			SignatureValid bool `json:"signature_valid"`
			Event          struct {
				Data struct {
					RequestID string `json:"request_id"`
					Tenant    string `json:"tenant"`
				}
			}
		}
		if json.NewDecoder(resp.Body).Decode(&hooks) != nil {
			return false
		}
		for _, h := range hooks {
			if h.Event.Data.RequestID == requestID && h.Event.Data.Tenant == "shop" && h.SignatureValid {
				return true
			}
		}
		return false
	})
}
