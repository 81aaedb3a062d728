//! `compare` from outside, as a user runs it: the `tiny` scenario end to end against the model
//! binaries of the same build, the measuring process, the site server, and the one-line exits.

use std::path::{Path, PathBuf};
use std::process::Command;

use benches::{MARKER, MODELS, PEERS, SiteCommand, SiteProcess, StopBy, split_usage};

/// `compare` itself, built for this test.
const COMPARE: &str = env!("CARGO_BIN_EXE_compare");

/// The folder `compare` and the model binaries are built in.
fn bin_dir() -> PathBuf {
    // Cannot fail: a binary's path has a folder.
    Path::new(COMPARE).parent().expect("a folder").to_path_buf()
}

/// Fails, saying what to build, unless the model binaries are beside `compare`: this test
/// must not pass without having run them. `cargo test --workspace` builds them.
fn require_binaries() {
    let dir = bin_dir();
    let mut names: Vec<&str> = MODELS.iter().filter_map(|m| m.program.binary()).collect();
    names.push("testsite");
    let missing: Vec<&str> = names.into_iter().filter(|n| !dir.join(n).is_file()).collect();
    assert!(
        missing.is_empty(),
        "the binaries {missing:?} are not in {}: run `cargo build --workspace` first (or \
         `cargo test --workspace`, which builds them)",
        dir.display()
    );
}

/// A path for this test's output files.
fn temp(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{}-{name}", std::process::id()))
}

/// `compare --scenario tiny --runs 1` runs every model, finds every report right, prints a
/// table with a row per model, and writes the JSON and the SVG.
#[test]
fn tiny_scenario_end_to_end() {
    require_binaries();
    let (json_path, svg) = (temp("tiny.json"), temp("tiny.svg"));
    let out = Command::new(COMPARE)
        .env("COMPARE_NO_BUILD", "1")
        .args(["--scenario", "tiny", "--runs", "1", "--json"])
        .arg(&json_path)
        .arg("--svg")
        .arg(&svg)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}\n{stdout}\n{stderr}", out.status);
    assert!(stdout.starts_with("Machine: "), "{stdout}");
    assert!(!stdout.contains("MISMATCH") && stderr.is_empty(), "{stdout}\n{stderr}");
    for model in MODELS {
        let row = stdout.lines().find(|l| l.split_whitespace().next() == Some(model.name));
        let row = row.unwrap_or_else(|| panic!("no row for {}:\n{stdout}", model.name));
        assert!(row.ends_with(" ok"), "{row}");
    }

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    let runs = json["runs"].as_array().unwrap();
    let passes = runs.iter().filter(|r| r["kind"] == "fetch-only").count();
    assert_eq!(passes, benches::FETCH_ONLY_PASSES, "the fetch-only passes of the ceiling");
    assert_eq!(runs.len(), MODELS.len() + passes, "a run per model, and the passes");
    for run in runs.iter().filter(|r| r["kind"] == "run") {
        assert_eq!(run["ok"], true, "{run}");
        assert!(run["pages"].as_u64().unwrap() > 300, "{run}");
        let usage = &run["usage"];
        assert!(usage["wall_secs"].as_f64().unwrap() > 0.0, "{run}");
        assert!(usage["max_rss_kib"].as_u64().unwrap() > 1024, "{run}");
        assert!(usage["peak_threads"].as_u64().unwrap() >= 1, "{run}");
        assert_eq!(usage["exit_code"], 0, "{run}");
    }
    assert!(json["machine"]["cores"].as_u64().unwrap() >= 1);
    let chart = std::fs::read_to_string(&svg).unwrap();
    assert!(chart.contains("tiny") && chart.contains("coroutine-mt-shared"));
    std::fs::remove_file(&json_path).unwrap();
    std::fs::remove_file(&svg).unwrap();
}

/// `--peers` runs each real crawler that is installed beside the model asked for, checked
/// against the same oracle (wget2 on URL and status), and skips one that is not with a note on
/// stderr, never a failure. `.ci/run` installs both, so that there they run.
#[test]
fn peers_run_where_installed() {
    require_binaries();
    let out = Command::new(COMPARE)
        .env("COMPARE_NO_BUILD", "1")
        .args(["--scenario", "tiny", "--runs", "1", "--models", "callback", "--peers"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}\n{stdout}\n{stderr}", out.status);
    for peer in PEERS {
        let row = stdout.lines().find(|l| l.split_whitespace().next() == Some(peer.name));
        let skipped = format!("peer {} skipped: ", peer.name);
        match row {
            Some(row) => assert!(row.ends_with(" ok"), "{row}\n{stderr}"),
            None => {
                assert!(stderr.contains(&skipped), "neither a row nor a note:\n{stdout}\n{stderr}")
            }
        }
        assert_eq!(row.is_some(), peer.program.missing().is_none(), "{stdout}\n{stderr}");
    }
}

/// The measuring process reports its one child: the wall time covers a sleep, the CPU time is
/// small, the memory is the child's, and the child's own output stays apart.
#[test]
fn measuring_process_measures_its_child() {
    let out = Command::new(COMPARE)
        .env("COMPARE_NO_BUILD", "1")
        .args(["--measure", "--", "sh", "-c", "echo out; echo err >&2; sleep 0.2"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "out\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(MARKER), "{stderr}");
    let (usage, rest) = split_usage(&stderr);
    let usage = usage.unwrap();
    assert_eq!(rest, "err\n");
    assert!(usage.wall_secs >= 0.2 && usage.wall_secs < 5.0, "{usage:?}");
    assert!(usage.cpu_secs() < usage.wall_secs, "{usage:?}: a sleep is not CPU");
    assert!(usage.max_rss_kib > 0 && usage.peak_threads == 1, "{usage:?}");
    assert_eq!(usage.exit_code, Some(0));
}

/// `compare --serve-site` serves the generated site with the page size asked, prints its URL,
/// and on its stdin closing prints what it served.
#[test]
fn site_server_serves_and_stops() {
    let args = ["--serve-site", "--pages", "40", "--page-size", "8192", "--seed", "3"];
    let cmd = SiteCommand {
        program: COMPARE.into(),
        args: args.iter().map(|a| a.to_string()).collect(),
        stop: StopBy::CloseStdin,
    };
    let site = SiteProcess::start(&cmd).unwrap();
    let spec =
        testsite::SiteSpec { seed: 3, page_size: 8192, ..testsite::SiteSpec::with_pages(40) };
    let config = shared::Config::new([site.url().as_str()]).unwrap();
    let urls: Vec<url::Url> = spec
        .generate()
        .expected(&config)
        .iter()
        .map(|e| url::Url::parse(&e.url).unwrap())
        .collect();
    benches::fetch_only(&urls, 2, &shared::http::Tls::new(&[])).unwrap();
    let counts = site.stop().expect("the site prints its counts");
    assert!(counts.starts_with(&format!("stopped after {} requests", urls.len())), "{counts}");
}

/// `compare --serve-nginx` serves a folder with nginx on a port of its own, prints its URL, and
/// stops nginx when its stdin closes. Needs nginx (`.ci/run` installs nginx-light).
#[test]
fn nginx_serves_a_folder_and_stops() {
    let dir = temp("nginx-root");
    std::fs::create_dir_all(dir.join("book")).unwrap();
    let page = "<a href=../other.html>other</a>";
    std::fs::write(dir.join("book/index.html"), page).unwrap();
    let cmd = SiteCommand {
        program: COMPARE.into(),
        args: vec!["--serve-nginx".into(), "--dir".into(), dir.display().to_string()],
        stop: StopBy::CloseStdin,
    };
    let site = SiteProcess::start(&cmd).expect("nginx starts (is nginx installed?)");
    let addr = format!("{}:{}", site.url().host_str().unwrap(), site.url().port().unwrap());
    let get = |path: &str| {
        let mut stream = std::net::TcpStream::connect(&addr)?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        std::io::Write::write_all(&mut stream, request.as_bytes())?;
        let mut response = String::new();
        std::io::Read::read_to_string(&mut stream, &mut response)?;
        Ok::<_, std::io::Error>(response)
    };
    let response = get("/book/index.html").unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(response.contains("Server: nginx") && response.ends_with(page), "{response}");
    assert!(get("/missing.html").unwrap().starts_with("HTTP/1.1 404"));
    // nginx prints no counts; once stopped, nothing listens on its port.
    assert_eq!(site.stop(), None);
    assert!(std::net::TcpStream::connect(&addr).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `compare --serve-nginx` without a folder is a usage error: one line, exit 2.
#[test]
fn nginx_without_a_folder_exits_2() {
    let out = Command::new(COMPARE).arg("--serve-nginx").output().unwrap();
    let stderr = one_line_exit_2(&out);
    assert!(stderr.contains("--dir"), "{stderr}");
}

/// A folder of its own (named after `name`) holding `compare` and nothing else, and the path
/// of that `compare`.
fn compare_alone(name: &str) -> (PathBuf, PathBuf) {
    let dir = temp(name);
    std::fs::create_dir_all(&dir).unwrap();
    let alone = dir.join("compare");
    let _ = std::fs::remove_file(&alone);
    // A hard link: the same binary, in a folder with nothing else in it.
    std::fs::hard_link(COMPARE, &alone)
        .or_else(|_| std::fs::copy(COMPARE, &alone).map(drop))
        .unwrap();
    (dir, alone)
}

/// Asserts that `compare` exited 2 with one line on stderr and nothing on stdout, and returns
/// the line.
fn one_line_exit_2(out: &std::process::Output) -> String {
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(out.stdout.is_empty());
    stderr
}

/// Without the model binaries beside it, `compare` exits 2 with one line saying what to build.
#[test]
fn missing_binaries_exit_2() {
    let (dir, alone) = compare_alone("alone");
    let out = Command::new(&alone)
        .env("COMPARE_NO_BUILD", "1")
        .args(["--scenario", "tiny"])
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let stderr = one_line_exit_2(&out);
    assert!(
        stderr.contains("cargo build --workspace") && stderr.contains("`testsite`"),
        "{stderr}"
    );
}

/// A model binary built before one of its sources changed is refused, with one line naming
/// both: `compare` measures the code in the work tree or nothing. (Started by `cargo run`, it
/// rebuilds first, and there is nothing stale to refuse.)
#[test]
fn stale_binaries_exit_2() {
    let (dir, alone) = compare_alone("stale");
    // Stand-ins for the binaries, and a source of `threads` edited after it was built.
    for name in ["testsite", "threads", "callback", "coroutine"] {
        std::fs::write(dir.join(name), b"").unwrap();
    }
    let source = dir.join("crawler.rs");
    std::fs::write(&source, b"// edited").unwrap();
    let built = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    let threads = std::fs::File::options().write(true).open(dir.join("threads")).unwrap();
    threads.set_modified(built).unwrap();
    let dep_info = format!("{}: {}\n", dir.join("threads").display(), source.display());
    std::fs::write(dir.join("threads.d"), dep_info).unwrap();
    let out = Command::new(&alone)
        .env("COMPARE_NO_BUILD", "1")
        .env_remove("CARGO")
        .args(["--scenario", "tiny"])
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let stderr = one_line_exit_2(&out);
    assert!(stderr.contains("threads is older than") && stderr.contains("crawler.rs"), "{stderr}");
}

/// A bad scenario or model name exits 2 with one line naming the good ones.
#[test]
fn bad_names_exit_2() {
    for args in [["--scenario", "nope"], ["--models", "fibers"]] {
        let out = Command::new(COMPARE).env("COMPARE_NO_BUILD", "1").args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("cpu-bound") || stderr.contains("threads"), "{stderr}");
    }
}
