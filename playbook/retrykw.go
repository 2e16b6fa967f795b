package playbook

import (
	"fmt"
	"strconv"
	"time"

	"github.com/remotectl/remotectl/playbook/jinja"
)

// retryKeywords are a task's retries and delay on this host: the task's,
// or their templates rendered with the task's variables (retries:
// "{{ jenkins_connection_retries }}"), as Ansible's post_validate makes
// them integers (a templated delay of 0 waits not at all).
func retryKeywords(task *Task, vars map[string]any) (int, time.Duration, error) {
	retries, delay := task.Retries, task.Delay
	if delay == 0 {
		delay = DefaultDelay
	}
	if tmpl, ok := task.kwTemplates["retries"]; ok {
		n, err := intKeyword(tmpl, vars, "retries")
		if err != nil {
			return 0, 0, err
		}
		retries = max(n, 0)
	}
	if tmpl, ok := task.kwTemplates["delay"]; ok {
		n, err := intKeyword(tmpl, vars, "delay")
		if err != nil {
			return 0, 0, err
		}
		delay = time.Duration(max(n, 0)) * time.Second // 0 is no wait, as Ansible's
	}
	return retries, delay, nil
}

// intKeyword renders an integer keyword's template.
func intKeyword(tmpl Text, vars map[string]any, what string) (int, error) {
	v, err := tmpl.value(vars)
	if err != nil {
		return 0, err
	}
	switch x := v.(type) {
	case int:
		return x, nil
	case float64:
		return int(x), nil
	}
	n, err := strconv.Atoi(jinja.String(v))
	if err != nil {
		return 0, fmt.Errorf("%s: %s is not a valid integer", tmpl.Pos, what)
	}
	return n, nil
}
