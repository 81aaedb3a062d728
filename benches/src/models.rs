//! [`Model`]: the contenders, one table of (name, binary, extra flags), so that a new model (the
//! hand-made coroutine runtime, say) is one more line.

use crate::Error;

/// One contender: how `--models` and the table name it, which binary runs it, and the flags
/// beside the contract's that select it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Model {
    /// The name in the table, `--models` and the JSON file.
    pub name: &'static str,
    /// The binary, found beside `compare` (the same build profile).
    pub binary: &'static str,
    /// Flags of the model's own (contract.md's flags are added by the harness).
    pub args: &'static [&'static str],
}

/// Every model, in the order of the table. `ct`/`mt`: tokio's current-thread or multi-thread
/// runtime; `reqwest`/`shared`: the HTTP stack; `handmade`: the hand-made coroutine runtime.
pub const MODELS: &[Model] = &[
    Model { name: "threads", binary: "threads", args: &[] },
    Model { name: "callback", binary: "callback", args: &[] },
    Model {
        name: "coroutine-ct-reqwest",
        binary: "coroutine",
        args: &["--runtime", "current-thread", "--http", "reqwest"],
    },
    Model {
        name: "coroutine-ct-shared",
        binary: "coroutine",
        args: &["--runtime", "current-thread", "--http", "shared"],
    },
    Model {
        name: "coroutine-mt-reqwest",
        binary: "coroutine",
        args: &["--runtime", "multi-thread", "--http", "reqwest"],
    },
    Model {
        name: "coroutine-mt-shared",
        binary: "coroutine",
        args: &["--runtime", "multi-thread", "--http", "shared"],
    },
    // The chapter's own machinery: a hand-made executor on the callback model's event loop,
    // always over the shared codec.
    Model { name: "coroutine-handmade", binary: "coroutine", args: &["--runtime", "handmade"] },
];

/// The models named in `list` (comma-separated, in the table's order), or all of them.
///
/// # Examples
/// ```
/// let picked = benches::models::select(Some("callback,threads")).unwrap();
/// assert_eq!(picked.iter().map(|m| m.name).collect::<Vec<_>>(), ["threads", "callback"]);
/// assert!(benches::models::select(Some("fibers")).is_err());
/// ```
pub fn select(list: Option<&str>) -> Result<Vec<Model>, Error> {
    let Some(list) = list else {
        return Ok(MODELS.to_vec());
    };
    let wanted: Vec<&str> = list.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if let Some(unknown) = wanted.iter().find(|w| !MODELS.iter().any(|m| m.name == **w)) {
        return Err(Error::Usage(format!(
            "unknown model `{unknown}`; the models are: {}",
            names().join(", ")
        )));
    }
    if wanted.is_empty() {
        return Err(Error::Usage("--models names no model".into()));
    }
    Ok(MODELS.iter().filter(|m| wanted.contains(&m.name)).copied().collect())
}

/// The names of every model, for messages and `--help`.
pub fn names() -> Vec<&'static str> {
    MODELS.iter().map(|m| m.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names are unique (they key the JSON file and the chart's legend).
    #[test]
    fn names_are_unique() {
        let mut names = names();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), MODELS.len());
    }

    /// With no list every model runs; an empty list is refused, not taken as "none".
    #[test]
    fn select_all_or_some() {
        assert_eq!(select(None).unwrap().len(), MODELS.len());
        assert!(select(Some(" , ")).is_err());
        let one = select(Some("coroutine-mt-shared")).unwrap();
        assert_eq!(one[0].args, ["--runtime", "multi-thread", "--http", "shared"]);
    }
}
