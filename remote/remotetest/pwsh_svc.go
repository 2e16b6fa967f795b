package remotetest

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// PwshService is a service of the simulated Windows host.
type PwshService struct {
	Name, DisplayName, Description string
	Path                           string // the executable (Win32_Service.PathName)
	StartName                      string // the account it runs as; "" is LocalSystem
	StartMode                      string // Auto, Manual or Disabled
	State                          string // Running, Stopped or Paused
	DelayedAutoStart               bool
	AcceptPause                    bool
	DependsOn                      []string // names of the services it needs
}

// Service returns a copy of the service named name (case-insensitive).
func (s *PowerShell) Service(name string) (PwshService, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc, ok := s.services[strings.ToLower(name)]
	if !ok {
		return PwshService{}, false
	}
	c := *svc
	c.DependsOn = slices.Clone(svc.DependsOn)
	return c, true
}

// AddService adds (or replaces) a service.
func (s *PowerShell) AddService(svc PwshService) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := svc
	c.DependsOn = slices.Clone(svc.DependsOn)
	if c.StartName == "" {
		c.StartName = "LocalSystem"
	}
	s.services[strings.ToLower(svc.Name)] = &c
}

// psServiceStatus and psStartType are the enums of ServiceController.
var (
	psServiceStatus = map[string]int64{"Stopped": 1, "StartPending": 2, "StopPending": 3, "Running": 4, "Paused": 7}
	psStartTypes    = map[string]string{"Auto": "Automatic", "Manual": "Manual", "Disabled": "Disabled"}
	psStartTypeVals = map[string]int64{"Automatic": 2, "Manual": 3, "Disabled": 4}
)

// serviceObject is Get-Service's ServiceController; s.mu must be held.
func (s *PowerShell) serviceObject(svc *PwshService, deep bool) *psObject {
	o := newPSObject("System.ServiceProcess.ServiceController")
	o.props.set("Name", svc.Name)
	o.props.set("ServiceName", svc.Name)
	o.props.set("DisplayName", svc.DisplayName)
	o.props.set("Status", psEnum{typ: "System.ServiceProcess.ServiceControllerStatus", name: svc.State, val: psServiceStatus[svc.State]})
	st := psStartTypes[svc.StartMode]
	o.props.set("StartType", psEnum{typ: "System.ServiceProcess.ServiceStartMode", name: st, val: psStartTypeVals[st]})
	o.props.set("CanPauseAndContinue", svc.AcceptPause)
	o.props.set("CanStop", svc.State != "Stopped")
	o.str = "System.ServiceProcess.ServiceController"
	if deep {
		dependents, dependsOn := []any{}, []any{}
		for _, other := range s.sortedServices() {
			if slices.ContainsFunc(other.DependsOn, func(n string) bool { return strings.EqualFold(n, svc.Name) }) {
				dependents = append(dependents, s.serviceObject(other, false))
			}
		}
		for _, n := range svc.DependsOn {
			if d, ok := s.services[strings.ToLower(n)]; ok {
				dependsOn = append(dependsOn, s.serviceObject(d, false))
			}
		}
		o.props.set("DependentServices", dependents)
		o.props.set("ServicesDependedOn", dependsOn)
	}
	return o
}

func (s *PowerShell) sortedServices() []*PwshService {
	var all []*PwshService
	for _, svc := range s.services {
		all = append(all, svc)
	}
	slices.SortFunc(all, func(a, b *PwshService) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return all
}

func psServiceCmdlets() map[string]psCmdlet {
	named := map[string]string{"servicename": "name", "sn": "name"}
	return map[string]psCmdlet{
		"get-service":     {params: []string{"name", "displayname"}, position: 1, aliases: named, run: cmdGetService},
		"start-service":   {params: []string{"name", "inputobject"}, position: 1, switches: []string{"passthru"}, aliases: named, run: cmdServiceControl},
		"stop-service":    {params: []string{"name", "inputobject"}, position: 1, switches: []string{"force", "passthru", "nowait"}, aliases: named, run: cmdServiceControl},
		"restart-service": {params: []string{"name", "inputobject"}, position: 1, switches: []string{"force", "passthru"}, aliases: named, run: cmdServiceControl},
		"suspend-service": {params: []string{"name", "inputobject"}, position: 1, switches: []string{"passthru"}, aliases: named, run: cmdServiceControl},
		"resume-service":  {params: []string{"name", "inputobject"}, position: 1, switches: []string{"passthru"}, aliases: named, run: cmdServiceControl},
		"set-service":     {params: []string{"name", "displayname", "description", "startuptype", "status"}, position: 1, switches: []string{"passthru"}, aliases: named, run: cmdSetService},
		"new-service": {params: []string{"name", "binarypathname", "displayname", "description", "startuptype"}, position: 2,
			aliases: map[string]string{"path": "binarypathname"}, run: cmdNewService},
		"invoke-cimmethod": {params: []string{"inputobject", "methodname", "arguments"}, run: cmdInvokeCimMethod},
		"get-ciminstance":  {params: []string{"classname", "filter", "property", "namespace"}, position: 1, aliases: map[string]string{"class": "classname"}, run: cmdGetCimInstance},
		"get-wmiobject":    {params: []string{"class", "filter", "property", "namespace"}, position: 1, run: cmdGetCimInstance},
	}
}

// serviceNames is the -Name (or the pipeline's services) of a call.
func serviceNames(b *psBound) []string {
	var names []string
	src := psUnroll(b.vals["name"])
	if !b.has("name") {
		src = append(psUnroll(b.vals["inputobject"]), b.input...)
	}
	for _, v := range src {
		if o, ok := v.(*psObject); ok {
			n, _ := o.props.get("Name")
			names = append(names, psString(n))
			continue
		}
		names = append(names, psString(v))
	}
	return names
}

func cmdGetService(r *psRun, b *psBound) []any {
	s := r.sim
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []any
	if !b.has("name") && !b.has("displayname") {
		for _, svc := range s.sortedServices() {
			out = append(out, s.serviceObject(svc, true))
		}
		return out
	}
	for _, n := range psUnroll(b.vals["name"]) {
		name := psString(n)
		found := false
		for _, svc := range s.sortedServices() {
			if psLike(svc.Name, name) {
				out, found = append(out, s.serviceObject(svc, true)), true
			}
		}
		if !found && !strings.ContainsAny(name, "*?[") {
			r.cmdletError(b, "Microsoft.PowerShell.Commands.ServiceCommandException", "ObjectNotFound",
				"Cannot find any service with service name '%s'.", name)
		}
	}
	for _, n := range psUnroll(b.vals["displayname"]) {
		for _, svc := range s.sortedServices() {
			if psLike(svc.DisplayName, psString(n)) {
				out = append(out, s.serviceObject(svc, true))
			}
		}
	}
	return out
}

// cmdServiceControl is Start-, Stop-, Restart-, Suspend- and
// Resume-Service: state changes with the service controller's rules
// (a disabled service does not start, dependents stop only with -Force,
// starting a service starts what it depends on).
func cmdServiceControl(r *psRun, b *psBound) []any {
	s := r.sim
	verb := strings.ToLower(b.name[:strings.IndexByte(b.name, '-')])
	var out []any
	for _, name := range serviceNames(b) {
		s.mu.Lock()
		svc, ok := s.services[strings.ToLower(name)]
		var err error
		if !ok {
			s.mu.Unlock()
			r.cmdletError(b, "Microsoft.PowerShell.Commands.ServiceCommandException", "ObjectNotFound",
				"Cannot find any service with service name '%s'.", name)
			continue
		}
		switch verb {
		case "start":
			err = s.startService(svc, 0)
		case "stop":
			err = s.stopService(svc, b.switches["force"])
		case "restart":
			if err = s.stopService(svc, b.switches["force"]); err == nil {
				err = s.startService(svc, 0)
			}
		case "suspend", "resume":
			switch {
			case !svc.AcceptPause:
				err = fmt.Errorf("Service '%s (%s)' cannot be %s because it does not support being paused and continued.", svc.DisplayName, svc.Name, map[string]string{"suspend": "suspended", "resume": "resumed"}[verb])
			case verb == "suspend" && svc.State == "Running":
				svc.State = "Paused"
			case verb == "resume" && svc.State == "Paused":
				svc.State = "Running"
			}
		}
		obj := s.serviceObject(svc, true)
		s.mu.Unlock()
		if err != nil {
			r.cmdletError(b, "Microsoft.PowerShell.Commands.ServiceCommandException", "OpenError", "%v", err)
			continue
		}
		if b.switches["passthru"] {
			out = append(out, obj)
		}
	}
	return out
}

// startService starts a service and what it depends on; s.mu must be held.
func (s *PowerShell) startService(svc *PwshService, depth int) error {
	if svc.State == "Running" {
		return nil
	}
	if svc.StartMode == "Disabled" {
		return fmt.Errorf("Service '%s (%s)' cannot be started due to the following error: Cannot start service %s on computer '.'.", svc.DisplayName, svc.Name, svc.Name)
	}
	if depth > 10 {
		return fmt.Errorf("the dependencies of service %s form a cycle", svc.Name)
	}
	for _, n := range svc.DependsOn {
		if d, ok := s.services[strings.ToLower(n)]; ok {
			if err := s.startService(d, depth+1); err != nil {
				return err
			}
		}
	}
	svc.State = "Running"
	return nil
}

// stopService stops a service; running dependents stop too with force,
// else it fails; s.mu must be held.
func (s *PowerShell) stopService(svc *PwshService, force bool) error {
	if svc.State == "Stopped" {
		return nil
	}
	for _, other := range s.sortedServices() {
		if other.State == "Stopped" || !slices.ContainsFunc(other.DependsOn, func(n string) bool { return strings.EqualFold(n, svc.Name) }) {
			continue
		}
		if !force {
			return fmt.Errorf("Cannot stop service '%s (%s)' because it has dependent services. It can only be stopped if the Force flag is set.", svc.DisplayName, svc.Name)
		}
		if err := s.stopService(other, true); err != nil {
			return err
		}
	}
	svc.State = "Stopped"
	return nil
}

func cmdSetService(r *psRun, b *psBound) []any {
	s := r.sim
	var out []any
	for _, name := range serviceNames(b) {
		s.mu.Lock()
		svc, ok := s.services[strings.ToLower(name)]
		if !ok {
			s.mu.Unlock()
			r.cmdletError(b, "Microsoft.PowerShell.Commands.ServiceCommandException", "ObjectNotFound",
				"Service '%s' was not found on computer '.'.", name)
			continue
		}
		err := s.setService(svc, b)
		obj := s.serviceObject(svc, true)
		s.mu.Unlock()
		if err != nil {
			r.cmdletError(b, "System.Management.Automation.ParameterBindingException", "InvalidArgument", "%v", err)
			continue
		}
		if b.switches["passthru"] {
			out = append(out, obj)
		}
	}
	return out
}

// setService applies Set-Service's parameters; s.mu must be held.
func (s *PowerShell) setService(svc *PwshService, b *psBound) error {
	if b.has("startuptype") {
		modes := map[string]string{"automatic": "Auto", "manual": "Manual", "disabled": "Disabled"}
		m, ok := modes[strings.ToLower(b.str("startuptype"))]
		if !ok {
			return fmt.Errorf("Cannot bind parameter 'StartupType'. Cannot convert value \"%s\" to type \"System.ServiceProcess.ServiceStartMode\". Error: \"Unable to match the identifier name %s to a valid enumerator name. Specify one of the following enumerator names and try again: Boot, System, Automatic, Manual, Disabled\"", b.str("startuptype"), b.str("startuptype"))
		}
		svc.StartMode, svc.DelayedAutoStart = m, false
	}
	if b.has("displayname") {
		svc.DisplayName = b.str("displayname")
	}
	if b.has("description") {
		svc.Description = b.str("description")
	}
	switch strings.ToLower(b.str("status")) {
	case "":
	case "running":
		return s.startService(svc, 0)
	case "stopped":
		return s.stopService(svc, false)
	default:
		return fmt.Errorf("Set-Service -Status %s is not implemented by the simulator", b.str("status"))
	}
	return nil
}

// psCimFilter is the WQL filter form the simulator reads: Name='x' or
// Path='x' (backslashes and quotes escaped with a backslash, as WQL's).
var psCimFilter = regexp.MustCompile(`(?i)^\s*(name|path)\s*=\s*'((?:[^'\\]|\\.)*)'\s*$`)

func cmdGetCimInstance(r *psRun, b *psBound) []any {
	class := strings.ToLower(b.str("classname"))
	if class == "" {
		class = strings.ToLower(b.str("class"))
	}
	filter := ""
	if b.has("filter") {
		m := psCimFilter.FindStringSubmatch(b.str("filter"))
		if m == nil {
			psThrow("System.NotSupportedException", "the simulator reads only -Filter \"Name='...'\" or \"Path='...'\", not %q", b.str("filter"))
		}
		filter = regexp.MustCompile(`\\(.)`).ReplaceAllString(m[2], "$1")
		if strings.EqualFold(m[1], "path") != (class == "win32_share") {
			psThrow("Microsoft.Management.Infrastructure.CimException", "Invalid query: the simulator filters Win32_Share by Path and the other classes by Name")
		}
	}

	s := r.sim
	s.mu.Lock()
	defer s.mu.Unlock()
	switch class {
	case "win32_service":
		var out []any
		for _, svc := range s.sortedServices() {
			if filter == "" || strings.EqualFold(svc.Name, filter) {
				out = append(out, s.cimService(svc))
			}
		}
		return out
	case "win32_share":
		return nil // the simulated host shares nothing
	case "win32_operatingsystem":
		return []any{s.cimOS()}
	case "win32_computersystem":
		o := newPSObject("Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_ComputerSystem")
		o.props.set("Name", s.ComputerName)
		o.props.set("DNSHostName", strings.ToLower(s.ComputerName))
		o.props.set("Domain", "WORKGROUP")
		o.props.set("PartOfDomain", false)
		o.props.set("Workgroup", "WORKGROUP")
		o.props.set("Manufacturer", "remotectl")
		o.props.set("Model", "PowerShell simulator")
		o.props.set("NumberOfProcessors", int64(1))
		o.props.set("NumberOfLogicalProcessors", int64(2))
		o.props.set("TotalPhysicalMemory", int64(4<<30))
		return []any{o}
	}
	psThrow("Microsoft.Management.Infrastructure.CimException", "Invalid class %s (the simulator has Win32_Service, Win32_Share, Win32_OperatingSystem and Win32_ComputerSystem)", b.str("classname"))
	return nil
}

// cimService is a Win32_Service instance; s.mu must be held.
func (s *PowerShell) cimService(svc *PwshService) *psObject {
	o := newPSObject("Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_Service")
	o.props.set("Name", svc.Name)
	o.props.set("DisplayName", svc.DisplayName)
	o.props.set("Description", svc.Description)
	o.props.set("PathName", svc.Path)
	o.props.set("StartName", svc.StartName)
	o.props.set("StartMode", svc.StartMode)
	o.props.set("State", svc.State)
	o.props.set("DelayedAutoStart", svc.DelayedAutoStart)
	o.props.set("AcceptPause", svc.AcceptPause)
	o.props.set("AcceptStop", svc.State != "Stopped")
	o.props.set("DesktopInteract", false)
	o.props.set("ServiceType", "Own Process")
	return o
}

// cimOS is the Win32_OperatingSystem instance; s.mu must be held.
func (s *PowerShell) cimOS() *psObject {
	o := newPSObject("Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_OperatingSystem")
	o.props.set("Caption", "Microsoft Windows Server 2022 Datacenter")
	o.props.set("Version", "10.0.20348")
	o.props.set("BuildNumber", "20348")
	o.props.set("OSArchitecture", "64-bit")
	o.props.set("ProductType", int64(3))
	o.props.set("CSName", s.ComputerName)
	o.props.set("LastBootUpTime", s.boot)
	o.props.set("InstallDate", s.boot.Add(-24*time.Hour))
	o.props.set("TotalVisibleMemorySize", int64(4<<20))
	o.props.set("FreePhysicalMemory", int64(2<<20))
	o.props.set("SystemDirectory", `C:\Windows\system32`)
	o.props.set("WindowsDirectory", `C:\Windows`)
	o.props.set("SerialNumber", "00454-60000-00000-AA000")
	return o
}

// reboot restarts the simulated host: a new boot time, automatic services
// running and the others stopped.
func (s *PowerShell) reboot() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.boot = time.Now().UTC().Truncate(time.Second).Add(time.Second)
	if !s.boot.After(s.lastBoot) {
		s.boot = s.lastBoot.Add(time.Second)
	}
	s.lastBoot = s.boot
	s.reboots++
	for _, svc := range s.services {
		if svc.StartMode == "Auto" {
			svc.State = "Running"
		} else {
			svc.State = "Stopped"
		}
	}
}

// Reboots counts the reboots the host went through (shutdown.exe /r).
func (s *PowerShell) Reboots() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reboots
}

// cmdNewService is New-Service: a stopped service, automatic unless
// -StartupType says otherwise, running as LocalSystem.
func cmdNewService(r *psRun, b *psBound) []any {
	name := b.str("name")
	s := r.sim
	s.mu.Lock()
	_, exists := s.services[strings.ToLower(name)]
	s.mu.Unlock()
	if exists {
		r.cmdletError(b, "System.InvalidOperationException", "WriteError", "Service '%s' cannot be created due to the following error: The specified service already exists", name)
		return nil
	}
	svc := PwshService{Name: name, DisplayName: name, Path: b.str("binarypathname"), StartMode: "Auto", State: "Stopped",
		Description: b.str("description")}
	if b.has("displayname") {
		svc.DisplayName = b.str("displayname")
	}
	if b.has("startuptype") {
		m, ok := map[string]string{"automatic": "Auto", "manual": "Manual", "disabled": "Disabled"}[strings.ToLower(b.str("startuptype"))]
		if !ok {
			psThrow("System.Management.Automation.ParameterBindingException", "New-Service: Cannot bind parameter 'StartupType' to the value %q", b.str("startuptype"))
		}
		svc.StartMode = m
	}
	s.AddService(svc)
	s.mu.Lock()
	defer s.mu.Unlock()
	return []any{s.serviceObject(s.services[strings.ToLower(name)], true)}
}

// cmdInvokeCimMethod is Invoke-CimMethod on a Win32_Service instance:
// Change (PathName, DisplayName) and Delete; its ReturnValue is 0, or 16
// (being deleted: the service is running) as Windows answers.
func cmdInvokeCimMethod(r *psRun, b *psBound) []any {
	o, ok := b.vals["inputobject"].(*psObject)
	if !ok || !strings.HasSuffix(o.typ, "Win32_Service") {
		psThrow("System.NotSupportedException", "the simulator invokes methods of Win32_Service instances only")
	}
	name, _ := o.props.get("Name")
	args, _ := b.vals["arguments"].(*psHash)
	if args == nil {
		args = newPSHash()
	}
	s := r.sim
	s.mu.Lock()
	defer s.mu.Unlock()
	svc, exists := s.services[strings.ToLower(psString(name))]
	rv := int64(0)
	switch method := strings.ToLower(b.str("methodname")); {
	case !exists:
		rv = 5 // the service is gone
	case method == "delete":
		if svc.State != "Stopped" {
			rv = 16
			break
		}
		delete(s.services, strings.ToLower(svc.Name))
	case method == "change":
		for _, k := range args.keys {
			v, _ := args.get(k)
			switch strings.ToLower(k) {
			case "pathname":
				svc.Path = psString(v)
			case "displayname":
				svc.DisplayName = psString(v)
			default:
				psThrow("System.NotSupportedException", "the simulator's Win32_Service.Change sets PathName and DisplayName, not %s", k)
			}
		}
	default:
		psThrow("System.NotSupportedException", "the simulator does not implement Win32_Service.%s", b.str("methodname"))
	}
	res := newPSObject("Microsoft.Management.Infrastructure.CimMethodResult")
	res.props.set("ReturnValue", rv)
	return []any{res}
}
