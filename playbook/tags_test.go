package playbook

import (
	"strings"
	"testing"
)

func TestCheckTags(t *testing.T) {
	pb := parseTest(t, testInventory(t, 1), "- hosts: all\n  tasks:\n    - debug: {msg: hi}\n      tags: [config]\n")
	if err := pb.CheckTags("play.yaml", []string{"config", "always"}, []string{"never"}); err != nil {
		t.Errorf("known tags: %v", err)
	}
	err := pb.CheckTags("play.yaml", []string{"confg"}, []string{"deploy"})
	if err == nil {
		t.Fatal("unknown tags: no error")
	}
	for _, want := range []string{`play.yaml: no task has the tag "confg"`, `did you mean "config"`, `no task has the tag "deploy"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
