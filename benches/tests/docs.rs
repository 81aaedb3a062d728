//! The documentation holds: every relative link in every Markdown file of the repository leads
//! to a file (and to a heading, where it names one; to a line, where it names one), and every
//! command in a shell block names a package, binary, example, test and flags that exist (the
//! flags checked against the binary's `--help`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("benches is in the workspace").into()
}

/// Every Markdown file of the repository, build output and hidden folders left out.
fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> =
        std::fs::read_dir(dir).expect("a readable folder").flatten().collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        if path.is_dir() {
            markdown_files(&path, out);
        } else if name.ends_with(".md") {
            out.push(path);
        }
    }
}

/// The text of a Markdown file outside its fenced code blocks, line by line (a line inside a
/// block is empty), and the fenced blocks themselves: (info string, first line number, lines).
type Block = (String, usize, Vec<String>);

fn split_fences(text: &str) -> (Vec<String>, Vec<Block>) {
    let mut prose = Vec::new();
    let mut blocks: Vec<Block> = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        let fence = line.trim_start().starts_with("```");
        match (&mut open, fence) {
            (None, true) => {
                let info = line.trim_start().trim_start_matches('`').trim().to_string();
                open = Some((info, i + 2, Vec::new()));
                prose.push(String::new());
            }
            (Some(_), true) => {
                blocks.extend(open.take());
                prose.push(String::new());
            }
            (Some((_, _, lines)), false) => {
                lines.push(line.to_string());
                prose.push(String::new());
            }
            (None, false) => prose.push(line.to_string()),
        }
    }
    (prose, blocks)
}

/// The inline links of a line, `[text](target)`, outside inline code: (text, target).
fn links_of(line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut in_code = false;
    let mut opened = None;
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'`' => in_code = !in_code,
            b'[' if !in_code => opened = Some(i),
            b']' if !in_code && bytes.get(i + 1) == Some(&b'(') => {
                let rest = &line[i + 2..];
                if let Some(end) = rest.find(')') {
                    let target = rest[..end].split_whitespace().next().unwrap_or_default();
                    let text = opened.map_or("", |o| &line[o + 1..i]);
                    out.push((text.to_string(), target.to_string()));
                    opened = None;
                    i += end + 2;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The name a link's text gives in code (`` [`Crawler::fetch`](...) `` gives `fetch`), which
/// the line it points at must hold; `None` for any other text.
fn named_item(text: &str) -> Option<&str> {
    let code = text.strip_prefix('`')?.strip_suffix('`')?;
    let name = code.rsplit("::").next()?.trim_end_matches("()");
    let is_name = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    is_name.then_some(name)
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// The anchors of a Markdown file's headings (a repeated heading gets `-1`, `-2`...).
fn anchors(text: &str) -> HashSet<String> {
    let (prose, _) = split_fences(text);
    let mut seen = HashSet::new();
    for line in &prose {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let base = slug(&line[hashes..]);
        let mut anchor = base.clone();
        let mut n = 0;
        while !seen.insert(anchor.clone()) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
    }
    seen
}

/// What is wrong with the links of `file` (a Markdown file whose text is `text`).
fn broken_links(file: &Path, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let (prose, _) = split_fences(text);
    for (i, line) in prose.iter().enumerate() {
        for (label, target) in links_of(line) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let at = format!("{}:{}: {target}", file.display(), i + 1);
            let (path, fragment) = match target.split_once('#') {
                Some((path, fragment)) => (path, Some(fragment)),
                None => (target.as_str(), None),
            };
            let dest = if path.is_empty() {
                file.to_path_buf()
            } else {
                file.parent().unwrap_or(Path::new(".")).join(path)
            };
            if !dest.exists() {
                problems.push(format!("{at}: no such file"));
                continue;
            }
            let Some(fragment) = fragment else { continue };
            if dest.extension().is_some_and(|e| e == "md") {
                let other = (!path.is_empty()).then(|| std::fs::read_to_string(&dest));
                let text = match &other {
                    Some(read) => read.as_deref().unwrap_or_default(),
                    None => text,
                };
                if !anchors(text).contains(fragment) {
                    problems.push(format!("{at}: no heading with this anchor"));
                }
            } else if let Some(lines) = fragment.strip_prefix('L') {
                let source = std::fs::read_to_string(&dest).unwrap_or_default();
                let source: Vec<&str> = source.lines().collect();
                for (k, n) in lines.split("-L").enumerate() {
                    let count = source.len();
                    let Some(n) = n.parse::<usize>().ok().filter(|n| (1..=count).contains(n))
                    else {
                        problems.push(format!("{at}: line {n} of {count}"));
                        continue;
                    };
                    // A link named after an item points at the line where the item starts.
                    if let Some(name) = named_item(&label).filter(|_| k == 0)
                        && !source[n - 1].contains(name)
                    {
                        problems.push(format!("{at}: line {n} does not hold `{name}`"));
                    }
                }
            }
        }
    }
    problems
}

/// The workspace's packages, and each binary's name.
const PACKAGES: &[(&str, &str)] = &[
    ("shared", "shared"),
    ("testsite", "shared/testsite"),
    ("callback", "callback"),
    ("coroutine", "coroutine"),
    ("threads", "threads"),
    ("benches", "benches"),
];

/// The binaries a command can name, by their package.
fn binary_of(package: &str) -> Option<&'static str> {
    match package {
        "callback" => Some("callback"),
        "coroutine" => Some("coroutine"),
        "threads" => Some("threads"),
        "testsite" => Some("testsite"),
        "benches" => Some("compare"),
        _ => None,
    }
}

/// The commands of a shell block: continuation lines joined, comments dropped, a `$ ` prompt
/// removed, and each line cut at `|`, `&&`, `;` and redirections.
fn commands(lines: &[String]) -> Vec<Vec<String>> {
    let mut joined = Vec::new();
    let mut current = String::new();
    for line in lines {
        let line = line.trim().trim_start_matches("$ ");
        let line = line.split(" #").next().unwrap_or_default();
        if line.starts_with('#') {
            continue;
        }
        if let Some(head) = line.strip_suffix('\\') {
            current.push_str(head);
            current.push(' ');
            continue;
        }
        current.push_str(line);
        joined.push(std::mem::take(&mut current));
    }
    let mut out = Vec::new();
    for line in joined {
        for part in line.split(['|', ';']).flat_map(|p| p.split("&&")) {
            let part = part.split(['>', '<']).next().unwrap_or_default();
            let words: Vec<String> = part
                .split_whitespace()
                .skip_while(|w| w.contains('=') && !w.starts_with('-'))
                .map(|w| w.trim_matches(['\'', '"']).to_string())
                .collect();
            if !words.is_empty() {
                out.push(words);
            }
        }
    }
    out
}

/// `--help` of each binary, asked once.
struct Helps {
    dir: PathBuf,
    known: std::collections::HashMap<String, String>,
}

impl Helps {
    fn get(&mut self, binary: &str) -> &str {
        let dir = self.dir.clone();
        self.known.entry(binary.to_string()).or_insert_with(|| {
            let out = Command::new(dir.join(binary)).arg("--help").output();
            let out = out.unwrap_or_else(|e| panic!("{binary} --help: {e}; build the binaries"));
            String::from_utf8_lossy(&out.stdout).into_owned()
        })
    }
}

/// What is wrong with a command: a package, example or test that does not exist, or a flag
/// its binary does not take.
fn bad_command(words: &[String], helps: &mut Helps) -> Vec<String> {
    let root = root();
    let mut problems = Vec::new();
    let word = |w: &str| words.iter().position(|x| x == w);
    let after = |i: Option<usize>| i.and_then(|i| words.get(i + 1)).map(String::as_str);
    let (binary, flags): (Option<&str>, &[String]) = match words[0].as_str() {
        "cargo" => {
            let package = after(word("-p")).or(after(word("--package")));
            if let Some(p) = package
                && !PACKAGES.iter().any(|(name, _)| *name == p)
            {
                problems.push(format!("no package {p}"));
            }
            let folder = PACKAGES.iter().find(|(n, _)| Some(*n) == package).map(|(_, f)| *f);
            for (flag, sub) in
                [("--example", "examples"), ("--test", "tests"), ("--bench", "benches")]
            {
                if let Some(name) = after(word(flag)) {
                    let folder = folder.unwrap_or("benches");
                    if !root.join(folder).join(sub).join(format!("{name}.rs")).exists() {
                        problems.push(format!("no {flag} {name} in {folder}"));
                    }
                }
            }
            let runs = words.get(1).is_some_and(|w| w == "run") && word("--example").is_none();
            let rest = word("--").map_or(&words[words.len()..], |i| &words[i + 1..]);
            (runs.then(|| binary_of(package.unwrap_or("benches"))).flatten(), rest)
        }
        program => {
            let name = program.rsplit('/').next().unwrap_or(program);
            let known = PACKAGES.iter().find_map(|(p, _)| binary_of(p).filter(|b| *b == name));
            (known, &words[1..])
        }
    };
    let Some(binary) = binary else { return problems };
    let help = helps.get(binary).to_string();
    for flag in flags.iter().filter(|f| f.starts_with("--") && f.len() > 2) {
        let flag = flag.split('=').next().unwrap_or_default();
        let taken = help.split(|c: char| !(c.is_alphanumeric() || c == '-')).any(|w| w == flag);
        if !taken {
            problems.push(format!("{binary} has no flag {flag}"));
        }
    }
    problems
}

/// Every Markdown file's links, and every shell command, hold.
#[test]
fn links_and_commands_hold() {
    let root = root();
    let mut files = Vec::new();
    markdown_files(&root, &mut files);
    assert!(files.iter().any(|f| f.ends_with("docs/contract.md")), "found {files:?}");
    let dir = Path::new(env!("CARGO_BIN_EXE_compare")).parent().expect("a folder").to_path_buf();
    let mut helps = Helps { dir, known: Default::default() };
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a readable file");
        problems.extend(broken_links(file, &text));
        let (_, blocks) = split_fences(&text);
        for (info, line, lines) in blocks {
            if !matches!(info.as_str(), "sh" | "bash" | "shell") {
                continue;
            }
            for command in commands(&lines) {
                for problem in bad_command(&command, &mut helps) {
                    let shown = command.join(" ");
                    problems.push(format!("{}:{line}: `{shown}`: {problem}", file.display()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "the documentation does not hold:\n{}", problems.join("\n"));
}

/// The checks find what they look for: a missing file, a missing heading, a line past the
/// end, a flag a binary does not take, a package and a test that do not exist.
#[test]
fn the_checks_catch_broken_links_and_commands() {
    let root = root();
    let file = root.join("README.md");
    let text = "# Top\n\n## A heading, here\n\n[ok](#a-heading-here) [ok](docs/contract.md#https) \
                [ok](shared/src/lib.rs#L1)\n[bad](#nowhere) [bad](no/such.md) \
                [bad](docs/contract.md#nowhere) [bad](shared/src/lib.rs#L999999)\n\
                [`Config::builder`](shared/src/config.rs#L1) [`Config`](shared/src/lib.rs#L1)\n\
                ```sh\n[not a link](inside/a/block.md)\n```\n`[not a link](in/code.md)`\n";
    let problems = broken_links(&file, text);
    assert_eq!(problems.len(), 6, "{problems:#?}");
    assert!(problems[4].ends_with("line 1 does not hold `builder`"), "{problems:#?}");
    let dir = Path::new(env!("CARGO_BIN_EXE_compare")).parent().expect("a folder").to_path_buf();
    let mut helps = Helps { dir, known: Default::default() };
    let block: Vec<String> = [
        "cargo run --release -p threads -- http://127.0.0.1:8080/ --max-tasks 10 --no-such-flag",
        "$ testsite --pages 10 --tls \\",
        "    --ca-out ca.pem   # a comment --not-a-flag",
        "cargo test -p nosuch --test nosuch",
        "cargo run --release -- --scenario tiny | tee out.txt",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let found: Vec<Vec<String>> =
        commands(&block).iter().map(|c| bad_command(c, &mut helps)).collect();
    assert_eq!(found[0], ["threads has no flag --no-such-flag"]);
    assert!(found[1].is_empty(), "{:?}", found[1]);
    assert_eq!(found[2].len(), 2, "{:?}", found[2]);
    assert!(found[3].is_empty() && found.len() == 5, "{found:?}");
    assert_eq!(slug("3. Threads invite races"), "3-threads-invite-races");
    assert_eq!(slug("`--max-tasks` and `Done`"), "--max-tasks-and-done");
}
