package deploy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/empowerbot/empowerbot/config"
	"github.com/empowerbot/empowerbot/metrics"
	"github.com/empowerbot/empowerbot/ops"
	"github.com/empowerbot/empowerbot/policy"
	"github.com/empowerbot/empowerbot/slackemu"
)

// obj is one YAML document, decoded loosely.
type obj = map[string]any

// docs decodes every YAML document of path.
func docs(t *testing.T, path string) []obj {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []obj
	for {
		var d obj
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if d != nil {
			out = append(out, d)
		}
	}
	return out
}

// at walks m along keys (map keys, or list indexes as numbers) and returns
// what is there, failing the test when the path does not exist.
func at(t *testing.T, m any, path ...string) any {
	t.Helper()
	cur := m
	for i, k := range path {
		switch c := cur.(type) {
		case obj:
			v, ok := c[k]
			if !ok {
				t.Fatalf("no %s", strings.Join(path[:i+1], "."))
			}
			cur = v
		case []any:
			n, err := strconv.Atoi(k)
			if err != nil || n >= len(c) {
				t.Fatalf("no %s", strings.Join(path[:i+1], "."))
			}
			cur = c[n]
		default:
			t.Fatalf("%s is not a map or a list", strings.Join(path[:i], "."))
		}
	}
	return cur
}

func str(t *testing.T, m any, path ...string) string {
	t.Helper()
	s, ok := at(t, m, path...).(string)
	if !ok {
		t.Fatalf("%s is not a string", strings.Join(path, "."))
	}
	return s
}

// httpPort is the port of config.DefaultHTTPAddr, the port of the code.
func httpPort(t *testing.T) int {
	t.Helper()
	_, p, err := net.SplitHostPort(config.DefaultHTTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

// knownEnv reports whether name is read by the program (config) or by the
// Go runtime.
func knownEnv(name string) bool {
	return slices.Contains(config.Variables(), name) || name == "GOMEMLIMIT" || name == "GOMAXPROCS"
}

// kube loads deploy/kubernetes: every file parsed, objects by kind.
func kube(t *testing.T) map[string]obj {
	t.Helper()
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no kubernetes files: %v", err)
	}
	byKind := map[string]obj{}
	for _, f := range files {
		for _, d := range docs(t, f) {
			kind := str(t, d, "kind")
			if kind != "Kustomization" {
				if str(t, d, "metadata", "name") == "" {
					t.Errorf("%s: a %s without a name", f, kind)
				}
				if !strings.Contains(str(t, d, "apiVersion"), "v1") {
					t.Errorf("%s: odd apiVersion %q", f, d["apiVersion"])
				}
			}
			if _, dup := byKind[kind]; dup {
				t.Errorf("%s: a second %s", f, kind)
			}
			byKind[kind] = d
		}
	}
	return byKind
}

func TestKubernetesKustomizationListsEveryFile(t *testing.T) {
	k := kube(t)["Kustomization"]
	if k == nil {
		t.Fatal("no kustomization.yaml")
	}
	var listed []string
	for _, r := range at(t, k, "resources").([]any) {
		listed = append(listed, r.(string))
	}
	files, _ := filepath.Glob("kubernetes/*.yaml")
	var want []string
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" {
			want = append(want, b)
		}
	}
	sort.Strings(listed)
	if !slices.Equal(listed, want) {
		t.Errorf("kustomization resources = %v, want every file: %v", listed, want)
	}
	for _, kind := range []string{"Namespace", "Secret", "ConfigMap", "Deployment", "Service", "PodDisruptionBudget", "ServiceMonitor"} {
		if kube(t)[kind] == nil {
			t.Errorf("no %s in deploy/kubernetes", kind)
		}
	}
}

func TestKubernetesDeploymentMatchesTheCode(t *testing.T) {
	k := kube(t)
	dep := k["Deployment"]
	if n := at(t, dep, "spec", "replicas"); n != 2 {
		t.Errorf("replicas = %v, want 2", n)
	}
	podLabels := at(t, dep, "spec", "template", "metadata", "labels").(obj)
	for key, v := range at(t, dep, "spec", "selector", "matchLabels").(obj) {
		if podLabels[key] != v {
			t.Errorf("the Deployment's selector %s=%v does not match its pods' labels %v", key, v, podLabels)
		}
	}
	spec := at(t, dep, "spec", "template", "spec")
	if at(t, spec, "securityContext", "runAsNonRoot") != true {
		t.Errorf("pods may run as root")
	}
	if g := at(t, spec, "terminationGracePeriodSeconds").(int); g <= 10 {
		t.Errorf("terminationGracePeriodSeconds = %d, the bot needs 10 s to finish in-flight envelopes", g)
	}
	containers := at(t, spec, "containers").([]any)
	if len(containers) != 1 {
		t.Fatalf("%d containers, want 1", len(containers))
	}
	c := containers[0]
	if img := str(t, c, "image"); !strings.Contains(img, "empowerbot") {
		t.Errorf("image %q is not empowerbot's", img)
	}
	if args := at(t, c, "args").([]any); len(args) != 1 || args[0] != "run" {
		t.Errorf("args = %v, want [run]", args)
	}
	ports := map[string]int{}
	for _, p := range at(t, c, "ports").([]any) {
		ports[str(t, p, "name")] = at(t, p, "containerPort").(int)
	}
	if ports["http"] != httpPort(t) {
		t.Errorf("container port http = %d, the code listens on %d (HTTP_ADDR)", ports["http"], httpPort(t))
	}
	for probe, path := range map[string]string{"livenessProbe": ops.HealthzPath, "readinessProbe": ops.ReadyzPath, "startupProbe": ops.HealthzPath} {
		if got := str(t, c, probe, "httpGet", "path"); got != path {
			t.Errorf("%s path = %q, want %q", probe, got, path)
		}
		port := at(t, c, probe, "httpGet", "port")
		if name, ok := port.(string); ok {
			port = ports[name]
		}
		if port != httpPort(t) {
			t.Errorf("%s port = %v, want %d", probe, port, httpPort(t))
		}
	}
	sc := at(t, c, "securityContext")
	if at(t, sc, "readOnlyRootFilesystem") != true || at(t, sc, "allowPrivilegeEscalation") != false {
		t.Errorf("container securityContext not hardened: %v", sc)
	}
	if drop := at(t, sc, "capabilities", "drop").([]any); !slices.Contains(drop, any("ALL")) {
		t.Errorf("capabilities not all dropped: %v", drop)
	}
	if str(t, c, "resources", "limits", "memory") == "" {
		t.Errorf("no memory limit")
	}

	// Volumes: the Secret's keys and the ConfigMap's policy.
	mounts := map[string]string{} // mount path → volume name
	for _, m := range at(t, c, "volumeMounts").([]any) {
		mounts[str(t, m, "mountPath")] = str(t, m, "name")
	}
	volumes := map[string]any{}
	for _, v := range at(t, spec, "volumes").([]any) {
		volumes[str(t, v, "name")] = v
	}
	secret, cm := k["Secret"], k["ConfigMap"]
	env := map[string]string{}
	for _, e := range at(t, c, "env").([]any) {
		name := str(t, e, "name")
		if !knownEnv(name) {
			t.Errorf("env %s is not a variable the program reads (config.Variables)", name)
		}
		if v, ok := e.(obj)["value"].(string); ok {
			env[name] = v
		}
	}
	// fileIn returns the key a path names in the volume mounted above it.
	fileIn := func(path string) (volume any, key string) {
		dir, key := filepath.Dir(path), filepath.Base(path)
		name, ok := mounts[dir]
		if !ok {
			t.Errorf("%s is not in a mounted volume", path)
			return nil, ""
		}
		return volumes[name], key
	}
	for _, name := range []string{"SLACK_APP_TOKEN_FILE", "SLACK_BOT_TOKEN_FILE", "REDIS_URL_FILE"} {
		path, ok := env[name]
		if !ok {
			t.Errorf("%s not set: the secrets should come from files", name)
			continue
		}
		if _, plain := env[strings.TrimSuffix(name, "_FILE")]; plain {
			t.Errorf("both %s and its plain variable are set (start-up refuses that)", name)
		}
		vol, key := fileIn(path)
		if vol == nil {
			continue
		}
		if got := str(t, vol, "secret", "secretName"); got != str(t, secret, "metadata", "name") {
			t.Errorf("%s: volume of Secret %q, the Secret is %q", name, got, str(t, secret, "metadata", "name"))
		}
		if _, ok := at(t, secret, "stringData").(obj)[key]; !ok {
			t.Errorf("%s names key %q, not in the Secret", name, key)
		}
	}
	vol, key := fileIn(env["POLICY_FILE"])
	if vol != nil {
		if got := str(t, vol, "configMap", "name"); got != str(t, cm, "metadata", "name") {
			t.Errorf("POLICY_FILE: volume of ConfigMap %q, the ConfigMap is %q", got, str(t, cm, "metadata", "name"))
		}
		text := str(t, cm, "data", key)
		if _, err := policy.Parse([]byte(text), "configmap.yaml:"+key); err != nil {
			t.Errorf("the ConfigMap's policy is not valid:\n%v", err)
		}
	}
	if a := env["HTTP_ADDR"]; a != "" && !strings.HasSuffix(a, ":"+strconv.Itoa(httpPort(t))) {
		t.Errorf("HTTP_ADDR = %q, the container port is %d", a, httpPort(t))
	}
	for _, tok := range []string{"slack-app-token", "slack-bot-token"} {
		v := str(t, secret, "stringData", tok)
		if !strings.HasSuffix(v, "REPLACE-ME") {
			t.Errorf("the Secret holds a real-looking %s", tok)
		}
	}
}

func TestKubernetesSelectorsAndScrapes(t *testing.T) {
	k := kube(t)
	podLabels := at(t, k["Deployment"], "spec", "template", "metadata", "labels").(obj)
	matches := func(what string, sel any) {
		t.Helper()
		for key, v := range sel.(obj) {
			if podLabels[key] != v {
				t.Errorf("%s selects %s=%v, the pods have %v", what, key, v, podLabels)
			}
		}
	}
	matches("the PodDisruptionBudget", at(t, k["PodDisruptionBudget"], "spec", "selector", "matchLabels"))
	if m := at(t, k["PodDisruptionBudget"], "spec", "minAvailable"); m != 1 {
		t.Errorf("PDB minAvailable = %v, want 1 of the 2 replicas", m)
	}
	svc := k["Service"]
	matches("the Service", at(t, svc, "spec", "selector"))
	svcPorts := map[string]bool{}
	for _, p := range at(t, svc, "spec", "ports").([]any) {
		svcPorts[str(t, p, "name")] = true
		if tp := at(t, p, "targetPort"); tp != "http" && tp != httpPort(t) {
			t.Errorf("Service targetPort = %v", tp)
		}
	}
	sm := k["ServiceMonitor"]
	svcLabels := at(t, svc, "metadata", "labels").(obj)
	for key, v := range at(t, sm, "spec", "selector", "matchLabels").(obj) {
		if svcLabels[key] != v {
			t.Errorf("the ServiceMonitor selects %s=%v, the Service has %v", key, v, svcLabels)
		}
	}
	for _, e := range at(t, sm, "spec", "endpoints").([]any) {
		if !svcPorts[str(t, e, "port")] {
			t.Errorf("ServiceMonitor port %q is not a port of the Service", str(t, e, "port"))
		}
		if str(t, e, "path") != ops.MetricsPath {
			t.Errorf("ServiceMonitor path = %q, want %q", str(t, e, "path"), ops.MetricsPath)
		}
	}
}

func TestComposeIsHardenedAndMatchesTheCode(t *testing.T) {
	d := docs(t, "docker-compose.yml")[0]
	bot := at(t, d, "services", "bot")
	for name := range at(t, bot, "environment").(obj) {
		if !knownEnv(name) {
			t.Errorf("compose env %s is not a variable the program reads", name)
		}
	}
	env := at(t, bot, "environment").(obj)
	for _, name := range []string{"SLACK_APP_TOKEN_FILE", "SLACK_BOT_TOKEN_FILE"} {
		path, _ := env[name].(string)
		secret := strings.TrimPrefix(path, "/run/secrets/")
		if !slices.Contains(at(t, bot, "secrets").([]any), any(secret)) {
			t.Errorf("%s = %q is not one of the bot's secrets", name, path)
		}
		if _, ok := at(t, d, "secrets").(obj)[secret]; !ok {
			t.Errorf("secret %q is not declared", secret)
		}
	}
	if env["GOMEMLIMIT"] == nil || at(t, bot, "mem_limit") == nil {
		t.Errorf("no memory limit or GOMEMLIMIT")
	}
	if at(t, bot, "read_only") != true {
		t.Errorf("root file system is writable")
	}
	if !slices.Contains(at(t, bot, "cap_drop").([]any), any("ALL")) {
		t.Errorf("capabilities not dropped")
	}
	if !slices.Contains(at(t, bot, "security_opt").([]any), any("no-new-privileges:true")) {
		t.Errorf("no no-new-privileges")
	}
	if str(t, bot, "logging", "options", "max-size") == "" {
		t.Errorf("logs are not rotated")
	}
	ports := at(t, bot, "ports").([]any)
	if len(ports) != 1 || !strings.HasSuffix(ports[0].(string), ":"+strconv.Itoa(httpPort(t))) {
		t.Errorf("ports = %v, want the HTTP_ADDR port %d", ports, httpPort(t))
	}

	// The image's healthcheck is the binary's readiness check.
	df, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(df), `CMD ["/empowerbot", "healthcheck"]`) {
		t.Errorf("the Dockerfile's HEALTHCHECK is not `empowerbot healthcheck`")
	}
	if !strings.Contains(string(df), "EXPOSE "+strconv.Itoa(httpPort(t))) {
		t.Errorf("the Dockerfile does not EXPOSE %d", httpPort(t))
	}
}

func TestTheEmulatorHasTheManifestsScopes(t *testing.T) {
	scopes, err := BotScopes()
	if err != nil {
		t.Fatal(err)
	}
	got, want := slices.Sorted(slices.Values(slackemu.DefaultScopes)), slices.Sorted(slices.Values(scopes))
	if !slices.Equal(got, want) {
		t.Errorf("slackemu.DefaultScopes = %v, the manifest asks for %v", got, want)
	}
}

func TestPrometheusAlertsUseTheBotsMetrics(t *testing.T) {
	d := docs(t, "prometheus/alerts.yaml")[0]
	m := metrics.New()
	m.BuildInfo("v", "c", "go")
	// Vectors show on a scrape once they have a series, as in the running bot.
	m.JobLastSuccess.WithLabelValues("digest")
	m.JobDuration.WithLabelValues("digest", "ok")
	m.WorkspaceCheckFailures.WithLabelValues("channel")
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, f := range fams {
		known[f.GetName()] = true
		if f.GetType().String() == "HISTOGRAM" {
			known[f.GetName()+"_bucket"] = true
		}
	}
	alerts := map[string]bool{}
	name := regexp.MustCompile(`empowerbot_[a-z_]+`)
	for _, g := range at(t, d, "groups").([]any) {
		for _, r := range at(t, g, "rules").([]any) {
			alert, expr := str(t, r, "alert"), str(t, r, "expr")
			alerts[alert] = true
			for _, n := range name.FindAllString(expr, -1) {
				if !known[n] {
					t.Errorf("alert %s uses %s, which the bot does not export", alert, n)
				}
			}
		}
	}
	for _, want := range []string{"EmpowerbotNotReady", "EmpowerbotJobLate", "EmpowerbotAckLatencyHigh", "EmpowerbotRedisErrors"} {
		if !alerts[want] {
			t.Errorf("no alert %s", want)
		}
	}
}
