package playbook

import (
	"errors"
	"fmt"
)

// CheckTags returns a ParseError at file for every tag of tags (--tags,
// --skip-tags) that no task carries, with the closest tag as hint, joined;
// nil when every tag is known.
func (pb *Playbook) CheckTags(file string, tags ...[]string) error {
	var errs []error
	for _, list := range tags {
		for _, tag := range pb.UnknownTags(list) {
			errs = append(errs, &ParseError{Pos: file, Msg: fmt.Sprintf("no task has the tag %q", tag), Hint: pb.TagHint(tag)})
		}
	}
	return errors.Join(errs...)
}
