package playbook

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/remotectl/remotectl/playbook/jinja"
	"github.com/remotectl/remotectl/playbook/module"
)

// runAsyncStatus is async_status: the state of a job an async task started
// (jid), or its files removed (mode: cleanup), with Ansible's keys.
func runAsyncStatus(ctx context.Context, r *actionRun, args map[string]any) (*Outcome, error) {
	jid := strings.TrimSpace(jinja.String(args["jid"]))
	if _, ok := args["jid"]; !ok || jid == "" {
		return failed("missing required arguments: jid"), nil
	}
	mode := "status"
	if m, ok := args["mode"]; ok {
		mode = jinja.String(m)
	}
	if mode != "status" && mode != "cleanup" {
		return failed("value of mode must be one of: status, cleanup, got: %s", mode), nil
	}
	if r.windows() {
		return failed("async_status: remotectl runs background jobs on POSIX hosts only"), nil
	}
	host := r.moduleHost()
	file, err := jobFile(ctx, host, r.asyncDir(), jid)
	if err != nil {
		return nil, err
	}
	res := module.Result{"ansible_job_id": jid, "started": 0, "finished": 0, "stdout": "", "stderr": "", "changed": false}
	st, err := readJob(ctx, host, file)
	if err != nil {
		return failed("%v", err), nil
	}
	if st.missing {
		res["failed"], res["msg"], res["started"], res["finished"] = true, "could not find job", 1, 1
		if mode == "status" {
			res["results_file"] = file
		}
		return outcomeOf(res), nil
	}
	if mode == "cleanup" {
		if _, err := host.Run(ctx, module.Command{Script: cleanupScript(file)}); err != nil {
			return nil, err
		}
		res["erased"] = file
		return outcomeOf(res), nil
	}
	res["results_file"], res["started"] = file, 1
	if !st.finished() {
		return outcomeOf(res), nil
	}
	done, err := r.host.br.e.jobResult(ctx, r.host.host.Name, jid, st)
	if err != nil {
		return nil, err
	}
	maps.Copy(res, done)
	res["ansible_job_id"], res["results_file"], res["finished"] = jid, file, 1
	if _, ok := res["started"]; !ok || st.timedOut() {
		res["started"] = 1
	}
	return outcomeOf(res), nil
}

// moduleHost is the action's host as modules see it: the task's become and
// environment.
func (r *actionRun) moduleHost() module.Host {
	env, _ := r.environment()
	return module.NewHost(r.tr, r.target, r.moduleBecome(), env)
}

// jobFile is a job's file: the async directory expanded by the host's
// shell.
func jobFile(ctx context.Context, h module.Host, dir, jid string) (string, error) {
	out, err := h.Run(ctx, module.Command{Script: "d=" + shellDir(dir) + "; printf '%s' \"$d\""})
	if err != nil {
		return "", err
	}
	return out.Stdout + "/" + jid, nil
}

// jobResult is the result of a finished job: the module's, when this run
// started it (its parked run is handed the output), else what the job file
// and the output say.
func (e *executor) jobResult(ctx context.Context, host, jid string, st *jobState) (module.Result, error) {
	if st.timedOut() {
		return module.Result(maps.Clone(st.status)), nil
	}
	job := e.job(host, jid)
	if job == nil {
		out := st.output()
		res := module.Result{"changed": true, "rc": out.RC, "stdout": strings.TrimRight(out.Stdout, "\r\n"),
			"stderr": strings.TrimRight(out.Stderr, "\r\n")}
		if out.RC != 0 {
			res["failed"], res["msg"] = true, "non-zero return code"
		}
		jobTimes(res, st)
		return res, nil
	}
	e.mu.Lock()
	done := job.done
	e.mu.Unlock()
	if done == nil {
		job.output <- st.output()
		var d moduleDone
		select {
		case d = <-job.result:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if d.err != nil {
			return nil, d.err
		}
		jobTimes(d.res, st)
		e.mu.Lock()
		job.done = &d
		e.mu.Unlock()
		done = &d
	}
	return maps.Clone(done.res), nil
}

// jobTimes puts the job's start and end, as the host's clock saw them,
// into a command's result.
func jobTimes(res module.Result, st *jobState) {
	if _, ok := res["start"]; !ok {
		return
	}
	const layout = "2006-01-02 15:04:05.999999999"
	start, err1 := time.Parse(layout, jinja.String(st.status["start"]))
	end, err2 := time.Parse(layout, jinja.String(st.status["end"]))
	if err1 != nil || err2 != nil {
		return
	}
	res["start"], res["end"] = start.Format("2006-01-02 15:04:05.000000"), end.Format("2006-01-02 15:04:05.000000")
	res["delta"] = pyDuration(end.Sub(start))
}

// pyDuration is Python's str(timedelta) of a duration under a day.
func pyDuration(d time.Duration) string {
	us := max(int64(d/time.Microsecond), 0)
	return fmt.Sprintf("%d:%02d:%02d.%06d", us/3600e6, us/60e6%60, us/1e6%60, us%1e6)
}
