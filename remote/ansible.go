package remote

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Names of the settings every transport shares (see CommonSettings), for
// the Ansible variables of a transport that set them.
const (
	SettingAddress        = "address"
	SettingPort           = "port"
	SettingTransport      = "transport"
	SettingUser           = "user"
	SettingPassword       = "password"
	SettingConnectTimeout = "connect_timeout"
)

// AnsibleVar maps Ansible variables (ansible_host, ansible_winrm_transport,
// ...) to settings.
type AnsibleVar struct {
	// Names are the variables; Map gets the one it converts.
	Names []string
	// Map converts a variable's value (a string, int, float64, bool, nil,
	// []any or map[string]any, as loaded) to the settings it carries: none
	// for a value that needs no setting. An error explains a value remotectl
	// cannot honour, naming the variable.
	Map func(name string, v any) ([]SettingValue, error)
}

// SettingValue is a value for the setting named Setting (of any schema), of
// the Go type of the setting's kind.
type SettingValue struct {
	Setting string
	Value   any
}

// AnsibleStringVar maps the variables names to the string setting setting.
func AnsibleStringVar(setting string, names ...string) AnsibleVar {
	return AnsibleVar{Names: names, Map: func(name string, v any) ([]SettingValue, error) {
		s, err := AnsibleString(name, v)
		if err != nil {
			return nil, err
		}
		return []SettingValue{{setting, s}}, nil
	}}
}

// AnsibleBoolVar maps the variables names to the boolean setting setting.
func AnsibleBoolVar(setting string, names ...string) AnsibleVar {
	return AnsibleVar{Names: names, Map: func(name string, v any) ([]SettingValue, error) {
		b, err := AnsibleBool(name, v)
		if err != nil {
			return nil, err
		}
		return []SettingValue{{setting, b}}, nil
	}}
}

// AnsiblePortVar maps the variables names to the port.
func AnsiblePortVar(names ...string) AnsibleVar {
	return AnsibleVar{Names: names, Map: func(name string, v any) ([]SettingValue, error) {
		n, err := AnsibleInt(name, v)
		if err == nil {
			err = ValidPort(name, n)
		}
		if err != nil {
			return nil, err
		}
		return []SettingValue{{SettingPort, n}}, nil
	}}
}

// AnsibleTimeoutVar maps the variables names, in seconds, to the connect
// timeout.
func AnsibleTimeoutVar(names ...string) AnsibleVar {
	return AnsibleVar{Names: names, Map: func(name string, v any) ([]SettingValue, error) {
		n, err := AnsibleInt(name, v)
		if err == nil && n < 0 {
			err = fmt.Errorf("%s must not be negative, got %d", name, n)
		}
		if err != nil {
			return nil, err
		}
		return []SettingValue{{SettingConnectTimeout, time.Duration(n) * time.Second}}, nil
	}}
}

// AnsibleEnumVar maps the variables names, whose values must be one of
// values[i], to the setting setting with the value to[i].
func AnsibleEnumVar[T any](setting string, values []string, to []T, names ...string) AnsibleVar {
	return AnsibleVar{Names: names, Map: func(name string, v any) ([]SettingValue, error) {
		s, err := AnsibleString(name, v)
		if err == nil {
			err = OneOf(name, s, values)
		}
		if err != nil {
			return nil, err
		}
		return []SettingValue{{setting, to[slices.Index(values, s)]}}, nil
	}}
}

// CommonSettings is the schema of the settings every transport shares
// (address, port, transport, user, login and become passwords, connect
// timeout) and of the Ansible variables naming them; transports are the
// schemas of the transport kinds, from which transport and
// ansible_connection choose.
func CommonSettings(transports []SettingsSchema) SettingsSchema {
	var kinds []string
	connections := map[string]string{}
	var mentions []string
	for _, s := range transports {
		kinds = append(kinds, s.Kind)
		for _, c := range s.AnsibleConnections {
			connections[c] = s.Kind
		}
		mentions = append(mentions, strings.TrimSpace(s.Kind+" "+s.AnsibleNote))
	}
	return SettingsSchema{
		Settings: []Setting{
			StringSetting(SettingAddress, func(t *Target) *string { return &t.Address }),
			PortSetting(SettingPort, func(t *Target) *int { return &t.Port }),
			StringSetting(SettingTransport, func(t *Target) *string { return &t.Transport }, kinds...),
			StringSetting(SettingUser, func(t *Target) *string { return &t.User }),
			StringSetting("password_env", func(t *Target) *string { return &t.PasswordEnv }),
			{Name: SettingPassword, Secret: true, kind: StringValue, field: func(t *Target) any { return &t.Password }},
			DurationSetting(SettingConnectTimeout, func(t *Target) *time.Duration { return &t.ConnectTimeout }),
			BoolSetting("become", func(t *Target) *bool { return &t.Become }),
			StringSetting("become_user", func(t *Target) *string { return &t.BecomeUser }),
			StringSetting("become_password_env", func(t *Target) *string { return &t.BecomePasswordEnv }),
		},
		AnsibleVars: []AnsibleVar{
			AnsibleStringVar(SettingAddress, "ansible_host"),
			AnsibleStringVar(SettingUser, "ansible_user"),
			AnsibleStringVar("become_user", "ansible_become_user"),
			AnsibleStringVar(SettingPassword, "ansible_password"),
			AnsiblePortVar("ansible_port"),
			AnsibleTimeoutVar("ansible_timeout"),
			AnsibleBoolVar("become", "ansible_become"),
			{Names: []string{"ansible_connection"}, Map: func(name string, v any) ([]SettingValue, error) {
				s, err := AnsibleString(name, v)
				if err != nil {
					return nil, err
				}
				plugin := strings.TrimPrefix(strings.TrimPrefix(s, "ansible.builtin."), "ansible.legacy.")
				kind, known := connections[plugin]
				if !known {
					return nil, fmt.Errorf("%s %q is not supported: remotectl connects with %s", name, s, orList(mentions))
				}
				return []SettingValue{{SettingTransport, kind}}, nil
			}},
		},
	}
}

// orList joins items as "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// AnsibleString converts a scalar variable to a string as Ansible would
// template it. Jinja expressions cannot be evaluated here.
func AnsibleString(name string, v any) (string, error) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case int:
		s = strconv.Itoa(x)
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		s = strconv.FormatBool(x)
	default:
		return "", fmt.Errorf("%s must be a string, got %s", name, describe(v))
	}
	if strings.Contains(s, "{{") || strings.Contains(s, "{%") {
		return "", fmt.Errorf("%s uses a Jinja template (%q), which remotectl does not evaluate", name, s)
	}
	return s, nil
}

// AnsibleInt converts a variable to an integer (numbers and numeric strings).
func AnsibleInt(name string, v any) (int, error) {
	switch x := v.(type) {
	case int:
		return x, nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<31 {
			return int(x), nil
		}
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
			return n, nil
		}
		if _, err := AnsibleString(name, x); err != nil {
			return 0, err
		}
	}
	return 0, fmt.Errorf("%s must be a number, got %s", name, describe(v))
}

// AnsibleBool converts a variable to a boolean the way Ansible's boolean()
// filter does: yes/no, on/off, true/false, y/n, t/f, 1/0, in any case.
func AnsibleBool(name string, v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case int:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case float64:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "yes", "on", "true", "y", "t", "1":
			return true, nil
		case "no", "off", "false", "n", "f", "0":
			return false, nil
		}
	}
	return false, fmt.Errorf("%s must be a boolean (yes/no, true/false), got %s", name, describe(v))
}

// describe names a value and its type for messages.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(x)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	default:
		return fmt.Sprintf("%v (%T)", x, x)
	}
}
