package ssh

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/remotectl/remotectl/remote"
)

// ScanView is one scanned host as remotectl hostkeys scan prints it, and
// its JSON shape.
type ScanView struct {
	Host        string `json:"host"`
	Status      string `json:"status"`
	KeyType     string `json:"key_type,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	Error       string `json:"error,omitempty"`
	ErrorClass  string `json:"error_class,omitempty"`
	Fix         string `json:"fix,omitempty"` // for a changed key: the command removing the old one
}

// ScanViews returns the views of results; bad: some host could not be
// scanned or presented a changed or revoked key.
func ScanViews(results []ScanResult) (views []ScanView, bad bool) {
	views = make([]ScanView, len(results))
	for i, r := range results {
		v := ScanView{Host: r.Target.Name, Status: r.Status, Fingerprint: r.Fingerprint, Fix: r.ForgetCommand}
		if r.Key != nil {
			v.KeyType = r.Key.Type()
		}
		if r.Err != nil {
			v.Status, v.Error, v.ErrorClass = "error", r.Err.Error(), remote.ClassOf(r.Err).String()
		}
		if r.Err != nil || r.Status == StatusChanged || r.Status == StatusRevoked {
			bad = true
		}
		views[i] = v
	}
	return views, bad
}

// WriteScan writes views as a table on w, and on hints the command that
// forgets each changed key.
func WriteScan(w, hints io.Writer, views []ScanView) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tSTATUS\tKEY")
	for _, v := range views {
		key := v.KeyType + " " + v.Fingerprint
		if v.Error != "" {
			key = v.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", v.Host, v.Status, key)
	}
	err := tw.Flush()
	for _, v := range views {
		if v.Fix != "" {
			fmt.Fprintf(hints, "hint: %s: find out why the key changed; if the host was reinstalled: %s\n", v.Host, v.Fix)
		}
	}
	return err
}
