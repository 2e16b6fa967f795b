package remote

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SettingsSchema declares the connection settings of one transport kind:
// the keys inventories may write in a connection: block, the Ansible
// variables that carry them, and the ansible_connection values that choose
// the kind. Each transport package declares its own (ssh.Settings,
// winrm.Settings, local.Settings); package inventory reads them, so a
// setting is spelled in one place.
type SettingsSchema struct {
	// Kind is the transport's name (KindSSH, ...); "" for CommonSettings.
	Kind string
	// Settings are the kind's own settings, in the order listings show them.
	Settings []Setting
	// AnsibleConnections are the ansible_connection values (plugin names,
	// without "ansible.builtin.") that choose Kind.
	AnsibleConnections []string
	// AnsibleNote follows Kind where a message lists the transports, e.g.
	// "(also for psrp)"; usually "".
	AnsibleNote string
	// AnsibleVars map Ansible variables to settings of any schema.
	AnsibleVars []AnsibleVar
}

// ValueKind is the kind of value a setting holds.
type ValueKind uint8

// The kinds of setting values and the Go types Setting.Set takes for them.
const (
	StringValue   ValueKind = iota // string
	BoolValue                      // bool
	ListValue                      // []string: a string or a list of strings
	DurationValue                  // time.Duration: seconds, or a duration such as "1m30s"
	PortValue                      // int, a port number
)

// Setting is one connection setting: its name in inventories and messages,
// the values it accepts, and the field of Target it sets. Build one with
// StringSetting, BoolSetting, OptionalBoolSetting, ListSetting,
// DurationSetting or PortSetting.
type Setting struct {
	// Name is the key in inventories and the name in messages.
	Name string
	// Enum lists the values a StringValue setting accepts; nil accepts any.
	Enum []string
	// Secret hides the value in messages and listings.
	Secret bool
	kind   ValueKind
	field  func(*Target) any // *string, *bool, **bool, *[]string, *time.Duration or *int
}

// StringSetting is a string setting stored in field; a non-empty enum
// lists the values it accepts.
func StringSetting(name string, field func(*Target) *string, enum ...string) Setting {
	return Setting{Name: name, Enum: enum, kind: StringValue, field: func(t *Target) any { return field(t) }}
}

// BoolSetting is a boolean setting stored in field.
func BoolSetting(name string, field func(*Target) *bool) Setting {
	return Setting{Name: name, kind: BoolValue, field: func(t *Target) any { return field(t) }}
}

// OptionalBoolSetting is a boolean setting whose field is nil until set,
// so "false" is told from "not set".
func OptionalBoolSetting(name string, field func(*Target) **bool) Setting {
	return Setting{Name: name, kind: BoolValue, field: func(t *Target) any { return field(t) }}
}

// ListSetting is a list-of-strings setting stored in field.
func ListSetting(name string, field func(*Target) *[]string) Setting {
	return Setting{Name: name, kind: ListValue, field: func(t *Target) any { return field(t) }}
}

// DurationSetting is a duration setting stored in field.
func DurationSetting(name string, field func(*Target) *time.Duration) Setting {
	return Setting{Name: name, kind: DurationValue, field: func(t *Target) any { return field(t) }}
}

// PortSetting is a port-number setting stored in field.
func PortSetting(name string, field func(*Target) *int) Setting {
	return Setting{Name: name, kind: PortValue, field: func(t *Target) any { return field(t) }}
}

// ValueKind returns the kind of value the setting holds.
func (s Setting) ValueKind() ValueKind { return s.kind }

// Set stores v, of the Go type of the setting's kind, into t.
func (s Setting) Set(t *Target, v any) {
	switch p := s.field(t).(type) {
	case *string:
		*p = v.(string)
	case *int:
		*p = v.(int)
	case *bool:
		*p = v.(bool)
	case *[]string:
		*p = v.([]string)
	case *time.Duration:
		*p = v.(time.Duration)
	case **bool:
		b := v.(bool)
		*p = &b
	}
}

// Show returns the value of the setting in t as text, "" when it is not
// set: lists joined with ", ", booleans "true" (or "false" for an optional
// one set so), a secret "(set, hidden)".
func (s Setting) Show(t *Target) string {
	var v string
	switch p := s.field(t).(type) {
	case *string:
		v = *p
	case *int:
		if *p != 0 {
			v = strconv.Itoa(*p)
		}
	case *bool:
		if *p {
			v = "true"
		}
	case *[]string:
		v = strings.Join(*p, ", ")
	case *time.Duration:
		if *p > 0 {
			v = p.String()
		}
	case **bool:
		if *p != nil {
			v = strconv.FormatBool(**p)
		}
	}
	if v != "" && s.Secret {
		v = "(set, hidden)"
	}
	return v
}

// ValidPort checks a port number; label names it in the error.
func ValidPort(label string, n int) error {
	if n < 1 || n > 65535 {
		return fmt.Errorf("%s must be between 1 and 65535, got %d", label, n)
	}
	return nil
}

// OneOf checks that s is one of the allowed values; what names it in the
// error.
func OneOf(what, s string, allowed []string) error {
	if slices.Contains(allowed, s) {
		return nil
	}
	return fmt.Errorf("%s must be one of %s, got %q", what, strings.Join(allowed, ", "), s)
}
