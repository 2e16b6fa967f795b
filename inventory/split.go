package inventory

import (
	"bytes"
	"regexp"
	"runtime"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/yamlnode"
)

// A large inventory of our format is mostly its hosts: block, one entry per
// host, and yaml.v3 turns each entry into some ten nodes of 160 bytes: the
// node tree of a 100,000-host file outweighs the loaded inventory, and
// parsing it is most of the loading time. So when the block is large it is
// parsed in parts of some 1,000 entries, on several cores, while the parts
// already parsed are loaded; each part's nodes can be collected once it is
// loaded. The rest of the document (the skeleton: the file with the
// block's lines left empty, so that every line keeps its number) is parsed
// as usual.
//
// Splitting must never change what a document means, so it is only done
// when the text shows a plain block mapping under a top-level "hosts:" key,
// and every doubt falls back to parsing the whole document:
//   - the document has no directive (%YAML, %TAG), which parts would not
//     see;
//   - the block holds no '&' (no anchor an alias elsewhere could name), no
//     tab (YAML's rules for tabs near indentation are subtle), and no line
//     break but "\n" and "\r\n" (the skeleton keeps line numbers by keeping
//     as many lines);
//   - the skeleton parses, as our format, with "hosts:" a key of its
//     top-level block mapping at the very line and column the text showed,
//     so that the block really is that key's value: what precedes it was
//     parsed alike;
//   - each part parses alone into a block mapping whose keys are the
//     entries, as indented as in the block, without merge keys (<<): a part
//     cut inside a quoted or flow value does not parse, nor does one using
//     an alias of an anchor outside it. The entries of a block mapping read
//     alike alone and together, so the parts read as the block does (keys
//     repeated in two parts are caught by the loader).
//
// A part failing after others were loaded makes the loader read the block
// from the whole document instead; the hosts loaded from the first parts
// are then defined again, identically, which changes nothing (as when a
// host is defined in two files).

// splitConfig says when and how the hosts: block of a document is parsed in
// parts.
type splitConfig struct {
	minBlock int // bytes of block below which the document is parsed whole
	partSize int // bytes of block text per part, at least (a part ends at an entry)
	workers  int // parts parsed at once; 0 means GOMAXPROCS, up to maxWorkers
}

// maxWorkers bounds the goroutines parsing parts by default: parsing a part
// takes about three times as long as loading it, so more would only wait
// for the loader, holding parsed parts in memory.
const maxWorkers = 4

// defaultSplit splits blocks of more than about 5,000 hosts into parts of
// about 1,000.
var defaultSplit = splitConfig{minBlock: 256 << 10, partSize: 64 << 10}

// hostsKeyLineRE matches a top-level "hosts:" line starting a block value.
var hostsKeyLineRE = regexp.MustCompile(`^hosts:(?:[ ]+(?:#.*)?)?\r?$`)

// hostsSplit is a document of our format whose hosts: block is parsed in
// parts.
type hostsSplit struct {
	file    string
	data    []byte     // the whole document
	root    *yaml.Node // the skeleton's root mapping
	key     *yaml.Node // the skeleton's "hosts" key, whose value is the block
	parts   []textPart // the block, in parts
	indent  int        // of the block's entries
	entries int        // entries in the block
	workers int
}

// textPart is a run of whole entries of the block: data[start:end], whose
// first line is line number line of the document.
type textPart struct {
	start, end int
	line       int
}

// splitHosts returns the document split at its hosts: block, or nil when it
// is to be parsed whole (see above).
func splitHosts(file string, data []byte, cfg splitConfig) *hostsSplit {
	b, ok := findHostsBlock(data, cfg)
	if !ok {
		return nil
	}
	skeleton := make([]byte, 0, b.start+b.bodyLines+len(data)-b.end)
	skeleton = append(skeleton, data[:b.start]...)
	skeleton = append(skeleton, bytes.Repeat([]byte{'\n'}, b.bodyLines)...)
	skeleton = append(skeleton, data[b.end:]...)
	d := detect(file, skeleton)
	if d.err != nil || d.format != FormatRemotectl || d.root == nil ||
		d.root.Kind != yaml.MappingNode || d.root.Style&yaml.FlowStyle != 0 {
		return nil
	}
	var key *yaml.Node
	for i := 0; i+1 < len(d.root.Content); i += 2 {
		k, v := d.root.Content[i], d.root.Content[i+1]
		if k.Value == "hosts" && k.Line == b.keyLine && k.Column == 1 && k.Style == 0 && yamlnode.IsNull(v) {
			key = k
		}
	}
	if key == nil {
		return nil
	}
	workers := cfg.workers
	if workers <= 0 {
		workers = min(runtime.GOMAXPROCS(0), maxWorkers)
	}
	return &hostsSplit{file: file, data: data, root: d.root, key: key, parts: b.parts, indent: b.indent,
		entries: b.entries, workers: max(1, min(workers, len(b.parts)))}
}

// hostsBlock is where the body of a top-level "hosts:" key is in a document.
type hostsBlock struct {
	keyLine    int        // line of "hosts:"
	start, end int        // the body: the lines after it, up to the next top-level line
	bodyLines  int        // lines in the body
	parts      []textPart // the body cut at entries
	indent     int        // of the entries
	entries    int
}

// findHostsBlock finds the body of the only top-level "hosts:" line and cuts
// it into parts at the lines starting an entry (those as indented as the
// first entry). ok is false when there is no such body worth splitting, or
// the text is not the plain block mapping splitting expects.
func findHostsBlock(data []byte, cfg splitConfig) (b hostsBlock, ok bool) {
	lineNo := 0
	for off := 0; off < len(data); {
		line, next := lineAt(data, off)
		lineNo++
		if bytes.HasPrefix(line, []byte("%")) {
			return b, false // a directive (%YAML, %TAG) applies to the whole document
		}
		if bytes.HasPrefix(line, []byte("hosts:")) && hostsKeyLineRE.Match(line) {
			if b.keyLine != 0 {
				return b, false // twice: the whole document says what is wrong
			}
			b.keyLine, b.start = lineNo, next
		}
		off = next
	}
	if b.keyLine == 0 {
		return b, false
	}
	b.indent = -1
	partStart, partLine := b.start, b.keyLine+1
	off := b.start
	for lineNo = b.keyLine + 1; off < len(data); lineNo++ {
		line, next := lineAt(data, off)
		n := leadingSpaces(line)
		content := bytes.TrimRight(line[n:], "\r")
		switch {
		case len(content) == 0 || content[0] == '#':
			// blank or a comment: part of the body, whatever its indentation
		case n == 0:
			b.end = off
			return b.finish(data, partStart, partLine, cfg)
		case b.indent < 0 || n == b.indent:
			if b.indent < 0 {
				b.indent = n
			}
			if !entryStart(content) {
				return b, false
			}
			if off-partStart >= cfg.partSize && b.entries > 0 {
				b.parts = append(b.parts, textPart{start: partStart, end: off, line: partLine})
				partStart, partLine = off, lineNo
			}
			b.entries++
		case n < b.indent:
			return b, false // not one mapping: the whole document says what is wrong
		}
		b.bodyLines++
		off = next
	}
	b.end = len(data)
	return b.finish(data, partStart, partLine, cfg)
}

// finish closes the last part and checks the body is worth splitting and
// plain enough (see above).
func (b hostsBlock) finish(data []byte, partStart, partLine int, cfg splitConfig) (hostsBlock, bool) {
	body := data[b.start:b.end]
	if b.entries == 0 || len(body) < cfg.minBlock || bytes.ContainsAny(body, "&\t") {
		return b, false
	}
	for _, odd := range oddBreaks {
		if bytes.Contains(body, odd) {
			return b, false
		}
	}
	if bytes.Count(body, []byte("\r")) != bytes.Count(body, []byte("\r\n")) {
		return b, false // a "\r" alone breaks a line for YAML
	}
	b.parts = append(b.parts, textPart{start: partStart, end: b.end, line: partLine})
	return b, true
}

// oddBreaks are the characters besides "\r" that yaml.v3 takes for line
// breaks (as YAML 1.1 does), and the byte order mark.
var oddBreaks = [][]byte{[]byte("\u0085"), []byte("\u2028"), []byte("\u2029"), []byte("\ufeff")}

// lineAt returns the line starting at off, without its '\n', and the offset
// of the next line.
func lineAt(data []byte, off int) (line []byte, next int) {
	if i := bytes.IndexByte(data[off:], '\n'); i >= 0 {
		return data[off : off+i], off + i + 1
	}
	return data[off:], len(data)
}

// leadingSpaces counts the spaces starting line.
func leadingSpaces(line []byte) int {
	n := 0
	for n < len(line) && line[n] == ' ' {
		n++
	}
	return n
}

// entryStart reports whether a line's content (after its indentation) can
// start an entry of a block mapping, rather than a list item or a complex
// key.
func entryStart(content []byte) bool {
	switch content[0] {
	case '-', '?':
		return len(content) > 1 && content[1] != ' '
	}
	return true
}

// ---- parsing the parts ----

// partParser parses the parts of a hosts: block ahead of the loader, on
// several goroutines, holding at most lookahead parts parsed but not yet
// loaded. Parts are handed out in order.
type partParser struct {
	s       *hostsSplit
	results []chan *yaml.Node // per part: its root, or nil when it does not parse alone
	tokens  chan struct{}     // one per part being parsed or parsed and not yet taken
	done    chan struct{}     // closed by stop
	wg      sync.WaitGroup

	mu      sync.Mutex
	claimed int // parts handed to a goroutine to parse
	stopped bool

	taken int // parts handed to the loader (used by the loader only)
}

// parse starts parsing the parts. The caller must call stop.
func (s *hostsSplit) parse() *partParser {
	p := &partParser{
		s:       s,
		results: make([]chan *yaml.Node, len(s.parts)),
		tokens:  make(chan struct{}, 2*s.workers),
		done:    make(chan struct{}),
	}
	for i := range p.results {
		p.results[i] = make(chan *yaml.Node, 1)
	}
	p.wg.Add(s.workers)
	for range s.workers {
		go p.work()
	}
	return p
}

// work parses parts until none is left or the parser stops. Claiming a part
// takes a token first, so the parts being parsed or waiting are always the
// next ones the loader takes: it never waits for a part no goroutine has.
func (p *partParser) work() {
	defer p.wg.Done()
	for {
		select {
		case p.tokens <- struct{}{}:
		case <-p.done:
			return
		}
		p.mu.Lock()
		i := p.claimed
		p.claimed++
		stopped := p.stopped
		p.mu.Unlock()
		if stopped || i >= len(p.s.parts) {
			return // the token is not needed back: every part is claimed
		}
		p.results[i] <- p.s.parsePart(i)
	}
}

// next returns the root of the next part: a mapping of entries, or nil when
// the part does not parse alone. ok is false when every part was taken.
func (p *partParser) next() (root *yaml.Node, ok bool) {
	i := p.taken
	if i >= len(p.results) {
		return nil, false
	}
	p.taken++
	root = <-p.results[i]
	p.results[i] = nil
	<-p.tokens
	return root, true
}

// stop stops the goroutines and waits for them; it may be called again.
func (p *partParser) stop() {
	p.mu.Lock()
	if !p.stopped {
		p.stopped = true
		close(p.done)
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// parsePart parses part i alone, numbering its lines as in the document.
// It returns nil unless the part is a block mapping of entries as indented
// as the block's, without merge keys.
func (s *hostsSplit) parsePart(i int) *yaml.Node {
	part := s.parts[i]
	root, next, err := yamlnode.ParseDocument(s.data[part.start:part.end])
	if err != nil || next != nil || root == nil || root.Kind != yaml.MappingNode ||
		root.Style&yaml.FlowStyle != 0 || root.Column != s.indent+1 {
		return nil
	}
	for k := 0; k < len(root.Content); k += 2 {
		if root.Content[k].ShortTag() == yamlnode.TagMerge {
			return nil
		}
	}
	shiftLines(root, part.line-1)
	return root
}

// shiftLines adds by to the line of n and of every node below it.
func shiftLines(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}
