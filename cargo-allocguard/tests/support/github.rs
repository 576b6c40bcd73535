//! A GitHub Actions runner in miniature, for the workflow `init` writes and
//! the composite action (`action.yml`) it uses: the steps run in order, as
//! GitHub runs them, with its environment (`GITHUB_OUTPUT` per step,
//! `GITHUB_STEP_SUMMARY`, `RUNNER_TEMP`, `GITHUB_ACTION_PATH`, `CI`,
//! `GITHUB_ACTIONS`), `${{ }}` expressions substituted and `if:` evaluated,
//! and the actions it uses played by their effect: `actions/checkout`
//! clones the repository at the event's commit, `actions/cache/restore` and
//! `/save` copy a directory to and from a store that lives across jobs,
//! `actions/upload-artifact` copies its path, `Swatinem/rust-cache` does
//! nothing. Only what the workflow and the action use is understood;
//! anything else fails the test, naming it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

/// What triggered the job.
#[derive(Clone, Debug)]
pub enum Event {
    /// A push of `sha` to the default branch.
    Push { sha: String },
    /// A pull request: GitHub checks out `merge` (the head merged into the
    /// base), and names the base's commit.
    PullRequest {
        number: u64,
        base: String,
        merge: String,
    },
}

/// A runner: the repository the jobs check out, and what lives across jobs.
pub struct Runner {
    /// The repository (a local clone stands for GitHub's).
    pub repo: PathBuf,
    /// Scratch space for jobs.
    pub work: PathBuf,
    /// The cache store: key → saved directory.
    pub cache: PathBuf,
    /// Where the action lives (`uses: owner/allocguard@ref` runs this one).
    pub action: PathBuf,
    /// Directories prepended to PATH for every step (stubs).
    pub path: Vec<PathBuf>,
    /// Environment every step gets on top of the runner's.
    pub env: Vec<(String, String)>,
    jobs: usize,
}

/// What a job did.
#[derive(Debug, Default)]
pub struct Job {
    /// Whether every step succeeded.
    pub success: bool,
    /// The job summary, as GitHub would show it.
    pub summary: String,
    /// Every step's standard output and error, in order.
    pub log: String,
    /// The workflow commands (`::error …`, `::warning …`) the steps printed.
    pub annotations: Vec<String>,
    /// Uploaded artifacts: name → directory.
    pub artifacts: HashMap<String, PathBuf>,
    /// Step outputs: `id.name` → value.
    pub outputs: HashMap<String, String>,
}

/// The context expressions read.
struct Context<'a> {
    event: &'a Event,
    runner_temp: PathBuf,
    workspace: PathBuf,
    inputs: HashMap<String, String>,
    outputs: &'a HashMap<String, String>,
    failed: bool,
}

impl Context<'_> {
    fn value(&self, name: &str) -> String {
        let (event_name, sha, base, number) = match self.event {
            Event::Push { sha } => ("push", sha.clone(), String::new(), String::new()),
            Event::PullRequest {
                number,
                base,
                merge,
            } => (
                "pull_request",
                merge.clone(),
                base.clone(),
                number.to_string(),
            ),
        };
        match name {
            "github.event_name" => event_name.into(),
            "github.sha" => sha,
            "github.event.pull_request.base.sha" => base,
            "github.event.pull_request.number" => number,
            "github.token" => "token".into(),
            "github.workspace" => self.workspace.display().to_string(),
            "runner.temp" => self.runner_temp.display().to_string(),
            "runner.os" => "Linux".into(),
            _ => {
                if let Some(i) = name.strip_prefix("inputs.") {
                    return self.inputs.get(i).cloned().unwrap_or_default();
                }
                if let Some(rest) = name.strip_prefix("steps.") {
                    let (id, out) = rest
                        .split_once(".outputs.")
                        .unwrap_or_else(|| panic!("unknown context `{name}`"));
                    return self
                        .outputs
                        .get(&format!("{id}.{out}"))
                        .cloned()
                        .unwrap_or_default();
                }
                panic!("unknown context `{name}`")
            }
        }
    }

    /// Evaluates an expression: literals, contexts, `cancelled()`,
    /// `always()`, `success()`, `failure()`, `!`, `==`, `!=`, `&&`, `||`,
    /// parentheses. Values are strings; truth is non-empty and not `false`.
    fn eval(&self, expr: &str) -> String {
        let tokens = tokenize(expr);
        let mut p = Parser {
            tokens: &tokens,
            at: 0,
            cx: self,
        };
        let v = p.or();
        assert_eq!(p.at, tokens.len(), "cannot read the expression `{expr}`");
        v
    }

    /// `text` with every `${{ … }}` replaced by its value.
    fn substitute(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(i) = rest.find("${{") {
            out.push_str(&rest[..i]);
            let end = rest[i..].find("}}").expect("a closed expression") + i;
            out.push_str(&self.eval(rest[i + 3..end].trim()));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }
}

fn truthy(v: &str) -> bool {
    !v.is_empty() && v != "false"
}

fn tokenize(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let end = chars[i + 1..].iter().position(|&d| d == '\'').unwrap() + i + 1;
            out.push(chars[i..=end].iter().collect());
            i = end + 1;
        } else if "=!&|".contains(c) && chars.get(i + 1).is_some_and(|&d| "=&|".contains(d)) {
            out.push(chars[i..i + 2].iter().collect());
            i += 2;
        } else if "()!".contains(c) {
            out.push(c.to_string());
            i += 1;
        } else {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || "._-".contains(chars[i])) {
                i += 1;
            }
            assert!(i > start, "cannot read `{expr}` at `{c}`");
            out.push(chars[start..i].iter().collect());
        }
    }
    out
}

struct Parser<'a, 'c> {
    tokens: &'a [String],
    at: usize,
    cx: &'a Context<'c>,
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.at).map(String::as_str)
    }
    fn next(&mut self) -> String {
        self.at += 1;
        self.tokens[self.at - 1].clone()
    }
    fn or(&mut self) -> String {
        let mut v = self.and();
        while self.peek() == Some("||") {
            self.next();
            let w = self.and();
            if !truthy(&v) {
                v = w;
            }
        }
        v
    }
    fn and(&mut self) -> String {
        let mut v = self.cmp();
        while self.peek() == Some("&&") {
            self.next();
            let w = self.cmp();
            if truthy(&v) {
                v = w;
            }
        }
        v
    }
    fn cmp(&mut self) -> String {
        let v = self.unary();
        match self.peek() {
            Some("==") => {
                self.next();
                let w = self.unary();
                (v == w).to_string()
            }
            Some("!=") => {
                self.next();
                let w = self.unary();
                (v != w).to_string()
            }
            _ => v,
        }
    }
    fn unary(&mut self) -> String {
        if self.peek() == Some("!") {
            self.next();
            return (!truthy(&self.unary())).to_string();
        }
        let t = self.next();
        if t == "(" {
            let v = self.or();
            assert_eq!(self.next(), ")");
            return v;
        }
        if let Some(s) = t.strip_prefix('\'') {
            return s.trim_end_matches('\'').to_string();
        }
        if self.peek() == Some("(") {
            self.next();
            assert_eq!(self.next(), ")", "functions here take no argument");
            return match t.as_str() {
                "cancelled" => "false".into(),
                "always" => "true".into(),
                "success" => (!self.cx.failed).to_string(),
                "failure" => self.cx.failed.to_string(),
                f => panic!("unknown function `{f}()`"),
            };
        }
        if t == "true" || t == "false" {
            return t;
        }
        self.cx.value(&t)
    }
}

/// `key: value` of a YAML mapping, as text.
fn text(y: &Yaml, key: &str) -> Option<String> {
    match &y[key] {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Boolean(b) => Some(b.to_string()),
        Yaml::Integer(i) => Some(i.to_string()),
        _ => None,
    }
}

/// A mapping's string pairs.
fn pairs(y: &Yaml) -> Vec<(String, String)> {
    y.as_hash()
        .map(|h| {
            h.iter()
                .map(|(k, v)| {
                    (
                        k.as_str().unwrap().to_string(),
                        match v {
                            Yaml::String(s) => s.clone(),
                            Yaml::Boolean(b) => b.to_string(),
                            Yaml::Integer(i) => i.to_string(),
                            other => panic!("a value of another kind: {other:?}"),
                        },
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "advice.detachedHead=false"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Runner {
    /// A runner for `repo`, the action at `action`, scratch under `work`.
    pub fn new(repo: &Path, action: &Path, work: &Path) -> Runner {
        let cache = work.join("cache-store");
        std::fs::create_dir_all(&cache).unwrap();
        Runner {
            repo: repo.to_path_buf(),
            work: work.to_path_buf(),
            cache,
            action: action.to_path_buf(),
            path: Vec::new(),
            env: Vec::new(),
            jobs: 0,
        }
    }

    /// Runs the job `job` of `workflow` (its text) for `event`.
    pub fn run(&mut self, workflow: &str, job: &str, event: &Event) -> Job {
        self.jobs += 1;
        let root = self.work.join(format!("job-{}", self.jobs));
        let workspace = root.join("workspace");
        let temp = root.join("runner-temp");
        std::fs::create_dir_all(&workspace).unwrap();
        std::fs::create_dir_all(&temp).unwrap();
        let doc = &YamlLoader::load_from_str(workflow).unwrap()[0];
        let steps = doc["jobs"][job]["steps"]
            .as_vec()
            .unwrap_or_else(|| panic!("no job `{job}`"))
            .clone();
        let mut out = Job {
            success: true,
            ..Job::default()
        };
        let summary = root.join("step-summary.md");
        std::fs::write(&summary, "").unwrap();
        let mut outputs = HashMap::new();
        self.steps(
            &steps,
            event,
            &workspace,
            &temp,
            &summary,
            HashMap::new(),
            None,
            &mut outputs,
            &mut out,
        );
        out.summary = std::fs::read_to_string(&summary).unwrap();
        out.outputs = outputs;
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn steps(
        &mut self,
        steps: &[Yaml],
        event: &Event,
        workspace: &Path,
        temp: &Path,
        summary: &Path,
        inputs: HashMap<String, String>,
        action_path: Option<&Path>,
        outputs: &mut HashMap<String, String>,
        job: &mut Job,
    ) {
        for (n, step) in steps.iter().enumerate() {
            let snapshot = outputs.clone();
            let cx = Context {
                event,
                runner_temp: temp.to_path_buf(),
                workspace: workspace.to_path_buf(),
                inputs: inputs.clone(),
                outputs: &snapshot,
                failed: !job.success,
            };
            let name = text(step, "name")
                .or_else(|| text(step, "uses"))
                .unwrap_or_else(|| format!("step {n}"));
            // Without `if:`, a step runs only while everything succeeded.
            let run_it = match text(step, "if") {
                Some(cond) => {
                    let cond = cond
                        .trim()
                        .trim_start_matches("${{")
                        .trim_end_matches("}}")
                        .trim()
                        .to_string();
                    truthy(&cx.eval(&cond))
                }
                None => job.success,
            };
            if !run_it {
                job.log.push_str(&format!("--- {name}: skipped\n"));
                continue;
            }
            job.log.push_str(&format!("--- {name}\n"));
            let id = text(step, "id");
            let with: HashMap<String, String> = pairs(&step["with"])
                .into_iter()
                .map(|(k, v)| (k, cx.substitute(&v)))
                .collect();
            let mut step_outputs: Vec<(String, String)> = Vec::new();
            let ok = if let Some(uses) = text(step, "uses") {
                self.uses(
                    &uses,
                    &with,
                    event,
                    workspace,
                    temp,
                    summary,
                    &mut step_outputs,
                    outputs,
                    job,
                )
            } else {
                let script = text(step, "run").expect("a step runs or uses");
                let env: Vec<(String, String)> = pairs(&step["env"])
                    .into_iter()
                    .map(|(k, v)| (k, cx.substitute(&v)))
                    .collect();
                let dir = match text(step, "working-directory") {
                    Some(d) => workspace.join(cx.substitute(&d)),
                    None => workspace.to_path_buf(),
                };
                self.bash(
                    &cx.substitute(&script),
                    &dir,
                    &env,
                    event,
                    workspace,
                    temp,
                    summary,
                    action_path,
                    &mut step_outputs,
                    job,
                )
            };
            if let Some(id) = &id {
                for (k, v) in step_outputs {
                    outputs.insert(format!("{id}.{k}"), v);
                }
            }
            if !ok {
                job.success = false;
                job.log.push_str(&format!("--- {name}: failed\n"));
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn bash(
        &self,
        script: &str,
        dir: &Path,
        env: &[(String, String)],
        event: &Event,
        workspace: &Path,
        temp: &Path,
        summary: &Path,
        action_path: Option<&Path>,
        step_outputs: &mut Vec<(String, String)>,
        job: &mut Job,
    ) -> bool {
        let output_file = temp.join(format!("output-{}", job.log.len()));
        std::fs::write(&output_file, "").unwrap();
        let mut path = self.path.clone();
        path.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap()));
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
            .current_dir(dir)
            .env("PATH", std::env::join_paths(path).unwrap())
            .env("CI", "true")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_STEP_SUMMARY", summary)
            .env("GITHUB_WORKSPACE", workspace)
            .env("GITHUB_REPOSITORY", "owner/repo")
            .env(
                "GITHUB_EVENT_NAME",
                match event {
                    Event::Push { .. } => "push",
                    Event::PullRequest { .. } => "pull_request",
                },
            )
            .env("RUNNER_TEMP", temp)
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("ALLOCGUARD_SCALE");
        if let Some(p) = action_path {
            cmd.env("GITHUB_ACTION_PATH", p);
        }
        for (k, v) in self.env.iter().chain(env) {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        job.annotations.extend(
            stdout
                .lines()
                .chain(String::from_utf8_lossy(&out.stderr).lines())
                .filter(|l| l.starts_with("::error") || l.starts_with("::warning"))
                .map(str::to_string),
        );
        job.log.push_str(&stdout);
        job.log.push_str(&String::from_utf8_lossy(&out.stderr));
        for line in std::fs::read_to_string(&output_file).unwrap().lines() {
            if let Some((k, v)) = line.split_once('=') {
                step_outputs.push((k.to_string(), v.to_string()));
            }
        }
        out.status.success()
    }

    #[allow(clippy::too_many_arguments)]
    fn uses(
        &mut self,
        uses: &str,
        with: &HashMap<String, String>,
        event: &Event,
        workspace: &Path,
        temp: &Path,
        summary: &Path,
        step_outputs: &mut Vec<(String, String)>,
        outputs: &mut HashMap<String, String>,
        job: &mut Job,
    ) -> bool {
        let (action, _) = uses.split_once('@').expect("a pinned action");
        match action {
            "actions/checkout" => {
                let sha = match event {
                    Event::Push { sha } => sha,
                    Event::PullRequest { merge, .. } => merge,
                };
                std::fs::remove_dir_all(workspace).ok();
                git(
                    workspace.parent().unwrap(),
                    &[
                        "clone",
                        "-q",
                        &self.repo.display().to_string(),
                        &workspace.display().to_string(),
                    ],
                );
                git(workspace, &["checkout", "-q", "--detach", sha]);
                true
            }
            "Swatinem/rust-cache" => true,
            "actions/cache/restore" => {
                let (path, key) = (&with["path"], &with["key"]);
                let stored = self.cache.join(key);
                let hit = stored.is_dir();
                if hit {
                    copy_dir(&stored, Path::new(path));
                }
                step_outputs.push(("cache-hit".into(), hit.to_string()));
                true
            }
            "actions/cache/save" => {
                let (path, key) = (&with["path"], &with["key"]);
                let stored = self.cache.join(key);
                if !stored.exists() && Path::new(path).exists() {
                    copy_dir(Path::new(path), &stored);
                }
                true
            }
            "actions/upload-artifact" => {
                let (name, path) = (&with["name"], &with["path"]);
                let kept = temp.join(format!("artifact-{name}"));
                if Path::new(path).is_dir() {
                    copy_dir(Path::new(path), &kept);
                }
                job.artifacts.insert(name.clone(), kept);
                true
            }
            a if a.ends_with("/allocguard") => {
                let text = std::fs::read_to_string(self.action.join("action.yml")).unwrap();
                let doc = &YamlLoader::load_from_str(&text).unwrap()[0];
                let mut inputs: HashMap<String, String> = HashMap::new();
                for (k, v) in doc["inputs"].as_hash().unwrap() {
                    let default = text_of(&v["default"]);
                    inputs.insert(k.as_str().unwrap().to_string(), default);
                }
                inputs.extend(with.clone());
                // Defaults may be expressions too (`${{ github.token }}`).
                let snapshot = outputs.clone();
                let cx = Context {
                    event,
                    runner_temp: temp.to_path_buf(),
                    workspace: workspace.to_path_buf(),
                    inputs: HashMap::new(),
                    outputs: &snapshot,
                    failed: false,
                };
                let inputs = inputs
                    .into_iter()
                    .map(|(k, v)| (k, cx.substitute(&v)))
                    .collect();
                let steps = doc["runs"]["steps"].as_vec().unwrap().clone();
                let before = job.success;
                job.success = true;
                let action_path = self.action.clone();
                self.steps(
                    &steps,
                    event,
                    workspace,
                    temp,
                    summary,
                    inputs,
                    Some(&action_path),
                    outputs,
                    job,
                );
                let ok = job.success;
                job.success = before;
                ok
            }
            other => panic!("the runner does not know the action `{other}`"),
        }
    }
}

fn text_of(y: &Yaml) -> String {
    match y {
        Yaml::String(s) => s.clone(),
        Yaml::Boolean(b) => b.to_string(),
        Yaml::Integer(i) => i.to_string(),
        _ => String::new(),
    }
}
