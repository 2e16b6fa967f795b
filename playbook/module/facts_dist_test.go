package module

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// distRoots are the release files of distributions remotectl's setup
// recognises (written for this test, in each distribution's format).
func distRoots() map[string]map[string]string {
	return map[string]map[string]string{
		"debian12": {
			"/etc/os-release":     "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n",
			"/etc/debian_version": "12.5\n",
		},
		"ubuntu2204": {
			"/etc/os-release":     "PRETTY_NAME=\"Ubuntu 22.04.3 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nVERSION=\"22.04.3 LTS (Jammy Jellyfish)\"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\nUBUNTU_CODENAME=jammy\n",
			"/etc/lsb-release":    "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\nDISTRIB_DESCRIPTION=\"Ubuntu 22.04.3 LTS\"\n",
			"/etc/debian_version": "bookworm/sid\n",
		},
		"rocky9": {
			"/etc/os-release":     "NAME=\"Rocky Linux\"\nVERSION=\"9.3 (Blue Onyx)\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\nPRETTY_NAME=\"Rocky Linux 9.3 (Blue Onyx)\"\n",
			"/etc/redhat-release": "Rocky Linux release 9.3 (Blue Onyx)\n",
			"/etc/rocky-release":  "Rocky Linux release 9.3 (Blue Onyx)\n",
			"/etc/system-release": "Rocky Linux release 9.3 (Blue Onyx)\n",
		},
		"rhel9": {
			"/etc/os-release":     "NAME=\"Red Hat Enterprise Linux\"\nVERSION=\"9.2 (Plow)\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"9.2\"\nPRETTY_NAME=\"Red Hat Enterprise Linux 9.2 (Plow)\"\n",
			"/etc/redhat-release": "Red Hat Enterprise Linux release 9.2 (Plow)\n",
		},
		"centos7": {
			"/etc/os-release":     "NAME=\"CentOS Linux\"\nVERSION=\"7 (Core)\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"7\"\nPRETTY_NAME=\"CentOS Linux 7 (Core)\"\n",
			"/etc/centos-release": "CentOS Linux release 7.9.2009 (Core)\n",
			"/etc/redhat-release": "CentOS Linux release 7.9.2009 (Core)\n",
		},
		"alma9": {
			"/etc/os-release":     "NAME=\"AlmaLinux\"\nVERSION=\"9.3 (Shamrock Pampas Cat)\"\nID=\"almalinux\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\n",
			"/etc/redhat-release": "AlmaLinux release 9.3 (Shamrock Pampas Cat)\n",
		},
		"oracle8": {
			"/etc/os-release":     "NAME=\"Oracle Linux Server\"\nVERSION=\"8.9\"\nID=\"ol\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"8.9\"\n",
			"/etc/oracle-release": "Oracle Linux Server release 8.9\n",
			"/etc/redhat-release": "Red Hat Enterprise Linux release 8.9 (Ootpa)\n",
		},
		"fedora39": {
			"/etc/os-release":     "NAME=\"Fedora Linux\"\nVERSION=\"39 (Server Edition)\"\nID=fedora\nVERSION_ID=39\nVERSION_CODENAME=\"\"\nPRETTY_NAME=\"Fedora Linux 39 (Server Edition)\"\n",
			"/etc/redhat-release": "Fedora release 39 (Thirty Nine)\n",
		},
		"amazon2": {
			"/etc/os-release":     "NAME=\"Amazon Linux\"\nVERSION=\"2\"\nID=\"amzn\"\nID_LIKE=\"centos rhel fedora\"\nVERSION_ID=\"2\"\nPRETTY_NAME=\"Amazon Linux 2\"\n",
			"/etc/system-release": "Amazon Linux release 2 (Karoo)\n",
		},
		"amazon2023": {
			"/etc/os-release":     "NAME=\"Amazon Linux\"\nVERSION=\"2023\"\nID=\"amzn\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"2023\"\nPRETTY_NAME=\"Amazon Linux 2023\"\n",
			"/etc/system-release": "Amazon Linux release 2023.3.20240117 (Amazon Linux)\n",
		},
		"alpine319": {
			"/etc/os-release":     "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n",
			"/etc/alpine-release": "3.19.1\n",
		},
		"mint21": {
			"/etc/os-release": "NAME=\"Linux Mint\"\nVERSION=\"21.2 (Victoria)\"\nID=linuxmint\nID_LIKE=\"ubuntu debian\"\nVERSION_ID=\"21.2\"\nVERSION_CODENAME=victoria\nUBUNTU_CODENAME=jammy\n",
		},
		"kali": {
			"/etc/os-release": "PRETTY_NAME=\"Kali GNU/Linux Rolling\"\nNAME=\"Kali GNU/Linux\"\nVERSION=\"2024.1\"\nVERSION_ID=\"2024.1\"\nVERSION_CODENAME=\"kali-rolling\"\nID=kali\nID_LIKE=debian\n",
		},
		"devuan": {
			"/etc/os-release": "PRETTY_NAME=\"Devuan GNU/Linux 5 (daedalus)\"\nNAME=\"Devuan GNU/Linux\"\nVERSION_ID=\"5\"\nVERSION=\"5 (daedalus)\"\nVERSION_CODENAME=\"daedalus\"\nID=devuan\nID_LIKE=debian\n",
		},
		"arch": {
			"/etc/os-release":   "NAME=\"Arch Linux\"\nPRETTY_NAME=\"Arch Linux\"\nID=arch\nBUILD_ID=rolling\n",
			"/etc/arch-release": "",
		},
		"centosstream9": {
			"/etc/os-release":     "NAME=\"CentOS Stream\"\nVERSION=\"9\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"9\"\nPRETTY_NAME=\"CentOS Stream 9\"\n",
			"/etc/centos-release": "CentOS Stream release 9\n",
			"/etc/redhat-release": "CentOS Stream release 9\n",
		},
		"opensuse155": {
			"/etc/os-release": "NAME=\"openSUSE Leap\"\nVERSION=\"15.5\"\nID=\"opensuse-leap\"\nID_LIKE=\"suse opensuse\"\nVERSION_ID=\"15.5\"\nPRETTY_NAME=\"openSUSE Leap 15.5\"\n",
		},
		"sles15": {
			"/etc/os-release": "NAME=\"SLES\"\nVERSION=\"15-SP5\"\nVERSION_ID=\"15.5\"\nPRETTY_NAME=\"SUSE Linux Enterprise Server 15 SP5\"\nID=\"sles\"\nID_LIKE=\"suse\"\n",
		},
		"unknown": {
			"/etc/os-release": "NAME=\"Some Linux\"\nID=somelinux\nVERSION_ID=\"4.2\"\nVERSION=\"4.2 (Nice)\"\n",
		},
	}
}

// TestDistributionFactsAsAnsible runs ansible-core's own distribution
// collector (testdata/distribution_oracle.py) on each fake root and compares
// remotectl's facts computed from the same files.
func TestDistributionFactsAsAnsible(t *testing.T) {
	if _, err := exec.LookPath("ansible"); err != nil {
		t.Skip("ansible (Debian's ansible-core) is not installed; scripts/test.sh installs it")
	}
	oracle, _ := filepath.Abs("testdata/distribution_oracle.py")
	for name, files := range distRoots() {
		root := t.TempDir()
		for p, data := range files {
			full := filepath.Join(root, p)
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		out, err := exec.Command("/usr/bin/python3", oracle, root).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: oracle: %v\n%s", name, err, out)
		}
		var want map[string]any
		if err := json.Unmarshal(out, &want); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
		got := roundTrip(t, distributionFacts(distSections(files), nil))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %v\nwant %v", name, got, want)
		}
	}
}

// distSections is what the distribution snippet prints for these files.
func distSections(files map[string]string) factSections {
	s := factSections{}
	for p, data := range files {
		s["exists:"+p] = "1"
		if strings.TrimSpace(data) != "" {
			s["dist:"+p] = data
		}
	}
	return s
}
