package carrier

import (
	"testing"

	"github.com/smsbridge/smsbridge/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }
