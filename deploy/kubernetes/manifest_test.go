// Package kubernetes holds the Kubernetes manifest of a sharded zero-cost
// proxy study (correlate.yaml) and its test, which parses the manifest and
// checks what an Indexed Job of `freedarts correlate -shard env` and its
// merge Job need.
package kubernetes

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const manifestFile = "correlate.yaml"

// The part of the Kubernetes API the manifest uses, with the API's field
// names. Parsing is strict: a field not declared here (a typo, or a field
// put at the wrong level) fails the test, as `kubectl apply` (strict field
// validation) would refuse it. Declare a new field here when the manifest
// starts to use it.
type (
	object struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   metadata          `json:"metadata"`
		Data       map[string]string `json:"data,omitempty"` // ConfigMap
		Spec       *spec             `json:"spec,omitempty"`
	}
	metadata struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels,omitempty"`
	}
	// spec is a Job's or a PersistentVolumeClaim's.
	spec struct {
		// Job
		CompletionMode          string       `json:"completionMode,omitempty"`
		Completions             *int         `json:"completions,omitempty"`
		Parallelism             *int         `json:"parallelism,omitempty"`
		BackoffLimit            *int         `json:"backoffLimit,omitempty"`
		BackoffLimitPerIndex    *int         `json:"backoffLimitPerIndex,omitempty"`
		PodReplacementPolicy    string       `json:"podReplacementPolicy,omitempty"`
		Suspend                 *bool        `json:"suspend,omitempty"`
		TTLSecondsAfterFinished *int         `json:"ttlSecondsAfterFinished,omitempty"`
		Template                *podTemplate `json:"template,omitempty"`
		// PersistentVolumeClaim
		AccessModes      []string   `json:"accessModes,omitempty"`
		StorageClassName *string    `json:"storageClassName,omitempty"`
		Resources        *resources `json:"resources,omitempty"`
	}
	podTemplate struct {
		Metadata metadata `json:"metadata"`
		Spec     podSpec  `json:"spec"`
	}
	podSpec struct {
		RestartPolicy                 string           `json:"restartPolicy"`
		TerminationGracePeriodSeconds *int             `json:"terminationGracePeriodSeconds,omitempty"`
		SecurityContext               *securityContext `json:"securityContext,omitempty"`
		Containers                    []container      `json:"containers"`
		Volumes                       []volume         `json:"volumes"`
	}
	securityContext struct {
		RunAsUser  *int `json:"runAsUser,omitempty"`
		RunAsGroup *int `json:"runAsGroup,omitempty"`
		FSGroup    *int `json:"fsGroup,omitempty"`
	}
	container struct {
		Name            string        `json:"name"`
		Image           string        `json:"image"`
		ImagePullPolicy string        `json:"imagePullPolicy,omitempty"`
		WorkingDir      string        `json:"workingDir,omitempty"`
		Env             []envVar      `json:"env,omitempty"`
		Command         []string      `json:"command,omitempty"`
		Args            []string      `json:"args,omitempty"`
		Resources       *resources    `json:"resources,omitempty"`
		VolumeMounts    []volumeMount `json:"volumeMounts,omitempty"`
	}
	envVar struct {
		Name      string        `json:"name"`
		Value     *string       `json:"value,omitempty"`
		ValueFrom *envVarSource `json:"valueFrom,omitempty"`
	}
	envVarSource struct {
		ConfigMapKeyRef *struct {
			Name string `json:"name"`
			Key  string `json:"key"`
		} `json:"configMapKeyRef,omitempty"`
		ResourceFieldRef *struct {
			Resource string `json:"resource"`
			Divisor  string `json:"divisor,omitempty"`
		} `json:"resourceFieldRef,omitempty"`
		FieldRef *struct {
			FieldPath string `json:"fieldPath"`
		} `json:"fieldRef,omitempty"`
	}
	resources struct {
		Requests map[string]string `json:"requests,omitempty"`
		Limits   map[string]string `json:"limits,omitempty"`
	}
	volumeMount struct {
		Name      string `json:"name"`
		MountPath string `json:"mountPath"`
		ReadOnly  bool   `json:"readOnly,omitempty"`
	}
	volume struct {
		Name                  string `json:"name"`
		PersistentVolumeClaim *struct {
			ClaimName string `json:"claimName"`
			ReadOnly  bool   `json:"readOnly,omitempty"`
		} `json:"persistentVolumeClaim,omitempty"`
	}
)

// parseManifest splits a multi-document YAML file on its "---" lines and
// parses each document strictly.
func parseManifest(src []byte) ([]object, error) {
	var objs []object
	docs := regexp.MustCompile(`(?m)^---[ \t]*$`).Split(string(src), -1)
	for i, doc := range docs {
		if strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		var o object
		if err := yaml.UnmarshalStrict([]byte(doc), &o); err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		objs = append(objs, o)
	}
	return objs, nil
}

func stripComments(doc string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(doc, "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// manifest is the parsed correlate.yaml, by kind and name.
type manifest struct {
	objs []object
}

func (m manifest) get(kind, name string) *object {
	for i := range m.objs {
		if m.objs[i].Kind == kind && m.objs[i].Metadata.Name == name {
			return &m.objs[i]
		}
	}
	return nil
}

// The objects the manifest must have.
const (
	shardJob    = "freedarts-correlate"
	mergeJob    = "freedarts-merge"
	studyConfig = "freedarts-study"
)

// script is a container's shell command: command and args joined.
func script(c container) string {
	return strings.Join(append(append([]string{}, c.Command...), c.Args...), " ")
}

// outPath is the -out argument of the freedarts command of s, "" if none.
func outPath(s string) string {
	m := regexp.MustCompile(`-out\s+"?([^"\s]+)`).FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[1]
}

// assignedPath resolves p when it is a shell variable, "$out" or
// "${out}", from the script's `out=VALUE` line; "" when there is none.
func assignedPath(s, p string) string {
	name, ok := strings.CutPrefix(p, "$")
	if !ok {
		return p
	}
	name = strings.TrimSuffix(strings.TrimPrefix(name, "{"), "}")
	m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(name) + `="?([^"\s]+)`).FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[1]
}

func env(c container, name string) *envVar {
	for i := range c.Env {
		if c.Env[i].Name == name {
			return &c.Env[i]
		}
	}
	return nil
}

// mountOf is the mount of c whose mountPath holds p, and the claim of its volume.
func mountOf(pod podSpec, c container, p string) (mount *volumeMount, claim string) {
	for i, vm := range c.VolumeMounts {
		mp := path.Clean(vm.MountPath)
		if p == mp || strings.HasPrefix(p, mp+"/") {
			mount = &c.VolumeMounts[i]
			for _, v := range pod.Volumes {
				if v.Name == vm.Name && v.PersistentVolumeClaim != nil {
					claim = v.PersistentVolumeClaim.ClaimName
				}
			}
		}
	}
	return mount, claim
}

// configRef is the ConfigMap and key a container's STUDY_FLAGS come from.
func configRef(c container) (name, key string) {
	e := env(c, "STUDY_FLAGS")
	if e == nil || e.ValueFrom == nil || e.ValueFrom.ConfigMapKeyRef == nil {
		return "", ""
	}
	return e.ValueFrom.ConfigMapKeyRef.Name, e.ValueFrom.ConfigMapKeyRef.Key
}

// check is one requirement: it returns what is wrong, or "".
type check struct {
	name string
	fn   func(m manifest) string
}

// job returns the Job called name and its only container, or what is wrong.
func job(m manifest, name string) (*object, *container, string) {
	o := m.get("Job", name)
	switch {
	case o == nil:
		return nil, nil, fmt.Sprintf("no Job %q", name)
	case o.Spec == nil || o.Spec.Template == nil:
		return nil, nil, fmt.Sprintf("Job %s: no spec.template", name)
	case len(o.Spec.Template.Spec.Containers) != 1:
		return nil, nil, fmt.Sprintf("Job %s: %d containers, want 1", name, len(o.Spec.Template.Spec.Containers))
	}
	return o, &o.Spec.Template.Spec.Containers[0], ""
}

var checks = []check{
	{"shard job is batch/v1 Job", func(m manifest) string {
		o := m.get("Job", shardJob)
		if o == nil {
			return fmt.Sprintf("no object of kind Job named %s", shardJob)
		}
		if o.APIVersion != "batch/v1" {
			return fmt.Sprintf("Job %s: apiVersion %q, want batch/v1", shardJob, o.APIVersion)
		}
		return ""
	}},
	{"shard job is Indexed", func(m manifest) string {
		o, _, bad := job(m, shardJob)
		if bad != "" {
			return bad
		}
		if o.Spec.CompletionMode != "Indexed" {
			return fmt.Sprintf("spec.completionMode %q, want Indexed (each pod gets its shard as $JOB_COMPLETION_INDEX)", o.Spec.CompletionMode)
		}
		return ""
	}},
	{"completions and parallelism", func(m manifest) string {
		o, _, bad := job(m, shardJob)
		if bad != "" {
			return bad
		}
		switch s := o.Spec; {
		case s.Completions == nil || *s.Completions < 1:
			return "spec.completions missing or < 1: it is the number of shards"
		case s.Parallelism == nil || *s.Parallelism < 1:
			return "spec.parallelism missing or < 1: the shard pods that run at once"
		case *s.Parallelism > *s.Completions:
			return fmt.Sprintf("spec.parallelism %d > completions %d", *s.Parallelism, *s.Completions)
		}
		return ""
	}},
	{"failed shards are retried one by one", func(m manifest) string {
		o, _, bad := job(m, shardJob)
		if bad != "" {
			return bad
		}
		switch s := o.Spec; {
		case s.Template.Spec.RestartPolicy != "Never" && s.Template.Spec.RestartPolicy != "OnFailure":
			return fmt.Sprintf("template restartPolicy %q, want Never or OnFailure (a Job's pods)", s.Template.Spec.RestartPolicy)
		case s.BackoffLimitPerIndex == nil || *s.BackoffLimitPerIndex < 1:
			return "spec.backoffLimitPerIndex missing or < 1: a killed shard should be retried (it resumes) without failing the others"
		case s.Template.Spec.RestartPolicy != "Never":
			return "backoffLimitPerIndex needs restartPolicy Never"
		case s.PodReplacementPolicy != "Failed":
			return fmt.Sprintf("spec.podReplacementPolicy %q, want Failed: one pod at a time per shard, which clears a killed pod's lock", s.PodReplacementPolicy)
		}
		return ""
	}},
	{"shard command runs correlate -shard env", func(m manifest) string {
		_, c, bad := job(m, shardJob)
		if bad != "" {
			return bad
		}
		s := script(*c)
		if !regexp.MustCompile(`\bfreedarts\s+correlate\b`).MatchString(s) {
			return "the container does not run `freedarts correlate`: " + s
		}
		if !regexp.MustCompile(`-shard\s+env\b`).MatchString(s) {
			return "the correlate command has no `-shard env` (the shard from $JOB_COMPLETION_INDEX of $FREEDARTS_SHARDS)"
		}
		if !strings.Contains(s, "JOB_COMPLETION_INDEX") {
			return "the -out file does not name the completion index: shards would write one file"
		}
		return ""
	}},
	{"FREEDARTS_SHARDS equals completions", func(m manifest) string {
		o, c, bad := job(m, shardJob)
		if bad != "" {
			return bad
		}
		e := env(*c, "FREEDARTS_SHARDS")
		if e == nil || e.Value == nil {
			return "no env FREEDARTS_SHARDS with a value: Kubernetes does not tell the pod the completion count"
		}
		n, err := strconv.Atoi(*e.Value)
		if err != nil {
			return fmt.Sprintf("env FREEDARTS_SHARDS=%q is not a number", *e.Value)
		}
		if o.Spec.Completions == nil {
			return "spec.completions missing: FREEDARTS_SHARDS must equal it"
		}
		if n != *o.Spec.Completions {
			return fmt.Sprintf("env FREEDARTS_SHARDS=%d but spec.completions is %d: they must be equal", n, *o.Spec.Completions)
		}
		return ""
	}},
	{"shard output on the results volume", func(m manifest) string {
		o, c, bad := job(m, shardJob)
		if bad != "" {
			return bad
		}
		s := script(*c)
		out := outPath(s)
		if out = assignedPath(s, out); out == "" || !path.IsAbs(out) {
			return fmt.Sprintf("cannot find the absolute -out path of the correlate command (%q)", outPath(s))
		}
		mount, claim := mountOf(o.Spec.Template.Spec, *c, path.Dir(out))
		switch {
		case mount == nil:
			return fmt.Sprintf("-out %s is on no volume mount of the container: the shard would be lost with the pod", out)
		case mount.ReadOnly:
			return fmt.Sprintf("-out %s is on the read-only mount %s", out, mount.MountPath)
		case claim == "":
			return fmt.Sprintf("-out %s: mount %s is not a PersistentVolumeClaim", out, mount.MountPath)
		}
		pvc := m.get("PersistentVolumeClaim", claim)
		if pvc == nil || pvc.Spec == nil {
			return fmt.Sprintf("the claim %s of the results volume is not in the manifest", claim)
		}
		if !strings.Contains(strings.Join(pvc.Spec.AccessModes, ","), "ReadWriteMany") {
			return fmt.Sprintf("claim %s: accessModes %v, want ReadWriteMany (shard pods on many nodes write it at once)", claim, pvc.Spec.AccessModes)
		}
		return ""
	}},
	{"inputs on a volume", func(m manifest) string {
		o, c, bad := job(m, shardJob)
		if bad != "" {
			return bad
		}
		cm := m.get("ConfigMap", studyConfig)
		name, key := configRef(*c)
		if cm == nil || name != studyConfig || cm.Data[key] == "" {
			return fmt.Sprintf("STUDY_FLAGS must come from ConfigMap %s (it has %q, key %q)", studyConfig, name, key)
		}
		flags := strings.Fields(cm.Data[key])
		for _, want := range []string{"-bench", "-data"} {
			i := indexOf(flags, want)
			if i < 0 || i+1 == len(flags) {
				return fmt.Sprintf("ConfigMap %s flags have no %s PATH: the image has no ../shared/data", studyConfig, want)
			}
			p := flags[i+1]
			if mount, claim := mountOf(o.Spec.Template.Spec, *c, p); mount == nil || claim == "" {
				return fmt.Sprintf("%s %s is on no PersistentVolumeClaim mount of the shard container", want, p)
			}
		}
		for _, f := range []string{"-shard", "-out"} {
			if indexOf(flags, f) >= 0 {
				return fmt.Sprintf("ConfigMap %s flags hold %s: each Job sets its own", studyConfig, f)
			}
		}
		return ""
	}},
	{"setup objects apply first", func(m manifest) string {
		// kubectl apply -l app.kubernetes.io/component=setup creates the volumes
		// and the flags, not the Jobs, so that the inputs are copied in first.
		for _, o := range m.objs {
			setup := o.Metadata.Labels["app.kubernetes.io/component"] == "setup"
			if job := o.Kind == "Job"; job == setup {
				return fmt.Sprintf("%s %s: label app.kubernetes.io/component=%q: want setup on the ConfigMap and the PVCs, not on the Jobs",
					o.Kind, o.Metadata.Name, o.Metadata.Labels["app.kubernetes.io/component"])
			}
		}
		return ""
	}},
	{"merge job merges the results volume", func(m manifest) string {
		so, sc, bad := job(m, shardJob)
		if bad != "" {
			return bad
		}
		mo, mc, bad := job(m, mergeJob)
		if bad != "" {
			return bad
		}
		if mo.APIVersion != "batch/v1" {
			return fmt.Sprintf("Job %s: apiVersion %q, want batch/v1", mergeJob, mo.APIVersion)
		}
		s := script(*mc)
		if !regexp.MustCompile(`\bfreedarts\s+merge\b`).MatchString(s) {
			return "the merge Job does not run `freedarts merge`"
		}
		if !regexp.MustCompile(`\bmerge\s+(-\S+\s+)*-complete\b`).MatchString(s) {
			return "the merge command has no -complete: an incomplete study would be merged"
		}
		shardOut := assignedPath(script(*sc), outPath(script(*sc)))
		dir := path.Dir(shardOut)
		if !strings.Contains(s, dir+"/shard-") {
			return fmt.Sprintf("the merge command does not read the shards in %s (the shard Job's -out %s)", dir, shardOut)
		}
		_, shardClaim := mountOf(so.Spec.Template.Spec, *sc, dir)
		if _, claim := mountOf(mo.Spec.Template.Spec, *mc, dir); claim == "" || claim != shardClaim {
			return fmt.Sprintf("the merge container mounts %q at %s, the shards are on claim %q", claim, dir, shardClaim)
		}
		if mc.Image != sc.Image {
			return fmt.Sprintf("merge image %q, shard image %q: the same build must merge (compute)", mc.Image, sc.Image)
		}
		sn, sk := configRef(*sc)
		if mn, mk := configRef(*mc); mn != sn || mk != sk || mn == "" {
			return fmt.Sprintf("the merge Job's STUDY_FLAGS come from ConfigMap %q key %q, the shards' from %q key %q: they must be the same", mn, mk, sn, sk)
		}
		if mo.Spec.Suspend == nil || !*mo.Spec.Suspend {
			return "the merge Job is not suspend: true: applied with the shards, it would run before they end"
		}
		if rp := mo.Spec.Template.Spec.RestartPolicy; rp != "Never" && rp != "OnFailure" {
			return fmt.Sprintf("merge restartPolicy %q, want Never or OnFailure", rp)
		}
		return ""
	}},
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func TestManifest(t *testing.T) {
	src, err := os.ReadFile(manifestFile)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := parseManifest(src)
	if err != nil {
		t.Fatalf("%s: %v", manifestFile, err)
	}
	m := manifest{objs}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if msg := c.fn(m); msg != "" {
				t.Errorf("%s: %s", manifestFile, msg)
			}
		})
	}
}

// TestManifestChecksFail removes or changes one required field at a time
// and checks that some check names it: the checks do not pass a broken
// manifest.
func TestManifestChecksFail(t *testing.T) {
	src, err := os.ReadFile(manifestFile)
	if err != nil {
		t.Fatal(err)
	}
	// Each edit replaces old, which must be once in the file (or, with
	// last, its last occurrence: the merge Job's).
	edits := []struct {
		name, old, new string
		last           bool
	}{
		{"no completionMode", "  completionMode: Indexed\n", "", false},
		{"NonIndexed", "completionMode: Indexed", "completionMode: NonIndexed", false},
		{"no completions", "  completions: 16\n", "", false},
		{"no parallelism", "  parallelism: 8\n", "", false},
		{"shards != completions", `value: "16"`, `value: "15"`, false},
		{"no -shard env", "-shard env", "", false},
		{"apiVersion", "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: freedarts-correlate", "apiVersion: batch/v2\nkind: Job\nmetadata:\n  name: freedarts-correlate", false},
		{"restartPolicy Always", "restartPolicy: Never\n      # On SIGTERM", "restartPolicy: Always\n      # On SIGTERM", false},
		{"no backoffLimitPerIndex", "  backoffLimitPerIndex: 3\n", "", false},
		{"results not mounted", "            - name: results\n              mountPath: /results\n            - name: data\n              mountPath: /data\n              readOnly: true\n      volumes:\n        - name: results\n          persistentVolumeClaim:\n            claimName: freedarts-results\n        - name: data\n          persistentVolumeClaim:\n            claimName: freedarts-data\n            readOnly: true\n---",
			"            - name: data\n              mountPath: /data\n              readOnly: true\n      volumes:\n        - name: data\n          persistentVolumeClaim:\n            claimName: freedarts-data\n            readOnly: true\n---", false},
		{"results ReadWriteOnce", "  accessModes: [ReadWriteMany]\n  # storageClassName: nfs\n  resources:\n    requests:\n      storage: 1Gi\n---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: freedarts-data",
			"  accessModes: [ReadWriteOnce]\n  # storageClassName: nfs\n  resources:\n    requests:\n      storage: 1Gi\n---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: freedarts-data", false},
		{"merge without -complete", "freedarts merge -complete", "freedarts merge", false},
		{"merge not suspended", "  suspend: true\n", "", false},
		{"merge reads elsewhere", "/results/shard-*.csv", "/elsewhere/shard-*.csv", false},
		{"no -bench", "-bench /data/nb201/nb201_accuracy.csv", "", false},
		{"typo", "terminationGracePeriodSeconds", "terminationGracePeriodSecond", false},
		{"data PVC not setup", "  name: freedarts-data\n  labels:\n    app.kubernetes.io/name: freedarts\n    app.kubernetes.io/component: setup\n", "  name: freedarts-data\n", false},
		{"no FREEDARTS_SHARDS", "            - name: FREEDARTS_SHARDS\n              value: \"16\" # = spec.completions\n", "", false},
		{"merge on another claim", "claimName: freedarts-results", "claimName: other-results", true},
	}
	for _, e := range edits {
		t.Run(e.name, func(t *testing.T) {
			i := bytes.LastIndex(src, []byte(e.old))
			if i < 0 || !e.last && bytes.Count(src, []byte(e.old)) != 1 {
				t.Fatalf("edit %q: %q is not once in %s", e.name, e.old, manifestFile)
			}
			edited := slices.Concat(src[:i], []byte(e.new), src[i+len(e.old):])
			objs, err := parseManifest(edited)
			if err != nil {
				t.Logf("refused by the parser: %v", err)
				return
			}
			m := manifest{objs}
			for _, c := range checks {
				if msg := c.fn(m); msg != "" {
					t.Logf("%s: %s", c.name, msg)
					return
				}
			}
			t.Errorf("edit %q: every check passed", e.name)
		})
	}
}
