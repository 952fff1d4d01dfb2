package inventory

import (
	"fmt"
	"testing"
)

func TestProgramsOfUninstallEntries(t *testing.T) {
	got := ProgramsOf([]UninstallEntry{
		{DisplayName: "Mozilla Firefox (x64 en-US)", DisplayVersion: "133.0"},
		{DisplayName: "7-Zip 23.01 (x64)", DisplayVersion: "23.01"},
		{DisplayName: "7-Zip 23.01 (x64)", DisplayVersion: "23.01"},                           // the same in another view
		{DisplayName: "Microsoft Visual C++ 2022 X64 Minimum Runtime", SystemComponent: true}, // hidden
		{DisplayName: "Security Update for Office (KB5002623)", ParentKeyName: "Office16.PROPLUS"},
		{DisplayName: "Hotfix for something", ReleaseType: "Hotfix"},
		{DisplayName: "   ", DisplayVersion: "1"}, // no name: not a program
		{DisplayName: "<img src=x onerror=alert(1)>", DisplayVersion: "1.0"},
		{DisplayName: "7-Zip 23.01 (x64)", DisplayVersion: "22.00"}, // two versions side by side
	})
	want := "[{7-Zip 23.01 (x64) 22.00 registry} {7-Zip 23.01 (x64) 23.01 registry} {<img src=x onerror=alert(1)> 1.0 registry} {Mozilla Firefox (x64 en-US) 133.0 registry}]"
	if fmt.Sprint(got) != want {
		t.Fatalf("got  %v\nwant %s", got, want)
	}
}

func TestParseSystemProfilerApps(t *testing.T) {
	out := []byte(`{"SPApplicationsDataType":[
		{"_name":"Safari","version":"18.1","path":"/Applications/Safari.app","obtained_from":"apple"},
		{"_name":"Slack","version":"4.41.105","path":"/Applications/Slack.app"},
		{"_name":"Slack","version":"4.41.105","path":"/Users/a/Applications/Slack.app"},
		{"_name":"NoVersion","path":"/Applications/NoVersion.app"},
		{"_name":"","version":"1"}]}`)
	got, err := ParseSystemProfilerApps(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := "[{NoVersion  app} {Safari 18.1 app} {Slack 4.41.105 app}]"; fmt.Sprint(got) != want {
		t.Fatalf("got  %v\nwant %s", got, want)
	}
	if _, err := ParseSystemProfilerApps([]byte("system_profiler: not JSON")); err == nil {
		t.Fatal("garbage parsed")
	}
}

func TestParsePkgInfo(t *testing.T) {
	p, ok := ParsePkgInfo([]byte("package-id: com.microsoft.teams2\nversion: 24295.605.3225.8804\nvolume: /\nlocation: Applications\ninstall-time: 1731000000\n"))
	if !ok || p.Name != "com.microsoft.teams2" || p.Version != "24295.605.3225.8804" || p.Source != "pkgutil" {
		t.Fatalf("%+v %v", p, ok)
	}
	if _, ok := ParsePkgInfo([]byte("No receipt for 'x' found at '/'.")); ok {
		t.Fatal("an error message parsed as a receipt")
	}
}
