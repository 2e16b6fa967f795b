package module

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestGetentAsAnsible(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	var cases []oracleCase
	for _, args := range []map[string]any{
		{"database": "passwd", "key": "root"},
		{"database": "group"},
		{"database": "passwd", "key": "root", "split": "x"},
		{"database": "hosts", "key": "localhost"},
		{"database": "services", "key": "22"},
		{"database": "passwd", "key": "no-such-user-rctl"},
		{"database": "passwd", "key": "no-such-user-rctl", "fail_key": false},
		{"database": "no-such-db"},
		{"database": "protocols", "split": " "},
	} {
		cases = append(cases, oracleCase{Module: "getent", Args: args}, oracleCase{Module: "getent", Args: args, Check: true})
	}
	wants := ansibleBatch(t, cases)
	for i, c := range cases {
		got := runCase(t, c)
		for _, k := range []string{"changed", "failed", "msg"} {
			sameKeys(t, fmtArgs(c.Args), got, wants[i], k)
		}
		gj, _ := json.Marshal(got["ansible_facts"])
		var g any
		_ = json.Unmarshal(gj, &g)
		if !reflect.DeepEqual(g, wants[i]["ansible_facts"]) {
			t.Errorf("%s: ansible_facts\n got %v\nwant %v", fmtArgs(c.Args), g, wants[i]["ansible_facts"])
		}
	}
}
