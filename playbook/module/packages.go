package module

// packageModules are the packages modules: apt, dnf, yum, package, the
// services (service, systemd) and the facts about both.
func packageModules() []*Module {
	return []*Module{
		aptModule(),
		dnfModule(),
		yumModule(),
		packageModule(),
		serviceModule(),
		systemdModule(),
		packageFactsModule(),
		serviceFactsModule(),
	}
}
