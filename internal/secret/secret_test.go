package secret

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

func TestRedactLongestFirst(t *testing.T) {
	m := &Masker{}
	m.Add("hunter2", "hunter22", "")
	if got := m.Redact("pw=hunter22 and hunter2"); got != "pw=******** and ********" {
		t.Errorf("Redact = %q", got)
	}
}

func TestShortValuesAreNotSecrets(t *testing.T) {
	m := &Masker{}
	m.Add("ok", "yes")
	if !m.Empty() {
		t.Fatalf("values shorter than MinLen made the masker non-empty")
	}
	if got := m.Redact("ok: yes"); got != "ok: yes" {
		t.Errorf("Redact = %q", got)
	}
	m.Add("root")
	if got := m.Redact("user root"); got != "user "+Mask {
		t.Errorf("a value of MinLen bytes is masked: Redact = %q", got)
	}
}

func TestNilAndEmptyMaskNothing(t *testing.T) {
	var m *Masker
	if m.Redact("x") != "x" || !m.Empty() || m.RedactValue(1) != 1 || m.Error(nil) != nil {
		t.Error("a nil Masker changed something")
	}
	data := []byte("plain")
	if got := (&Masker{}).RedactBytes(data); &got[0] != &data[0] {
		t.Error("RedactBytes copied data holding no secret")
	}
}

func TestRedactBytesAndValues(t *testing.T) {
	m := &Masker{}
	m.Add("S3cr3t-1")
	if got := string(m.RedactBytes([]byte("a S3cr3t-1 b\n"))); got != "a ******** b\n" {
		t.Errorf("RedactBytes = %q", got)
	}
	in := map[string]any{"a": []any{"x S3cr3t-1", 3, true}, "b": []string{"S3cr3t-1"}}
	want := map[string]any{"a": []any{"x ********", 3, true}, "b": []string{Mask}}
	if got := m.RedactValue(in); !reflect.DeepEqual(got, want) {
		t.Errorf("RedactValue = %#v", got)
	}
	if in["a"].([]any)[0] != "x S3cr3t-1" {
		t.Error("RedactValue changed its argument")
	}
	if got := m.RedactStrings([]string{"S3cr3t-1!"}); got[0] != Mask+"!" {
		t.Errorf("RedactStrings = %q", got)
	}
}

var errClass = errors.New("auth")

func TestErrorKeepsWhatItWraps(t *testing.T) {
	m := &Masker{}
	m.Add("S3cr3t-1")
	plain := fmt.Errorf("no secret: %w", errClass)
	if m.Error(plain) != plain {
		t.Error("an error holding no secret was wrapped")
	}
	err := m.Error(fmt.Errorf("sudo said S3cr3t-1: %w", errClass))
	if err.Error() != "sudo said ********: auth" || !errors.Is(err, errClass) {
		t.Errorf("Error = %q, Is(class) = %v", err, errors.Is(err, errClass))
	}
}
