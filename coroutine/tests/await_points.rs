//! "A coroutine can be interrupted only at an `.await`", measured: the chapter's answer to the
//! thread model's check-then-add race (`threads/examples/race_demo.rs`).
//!
//! Many tasks on one thread (tokio's current-thread runtime) add the same links to one seen-set,
//! a `RefCell<HashSet>` with no lock, checking then inserting, as
//! `threads::SharedSeen::add_links_racy` does. With no `.await` between the check and the insert,
//! no other task can run in the gap: every link is added exactly once, however many tasks race.
//! With one `.await` in the gap (a yield point: the place where a coroutine may be suspended),
//! the others run there, and the same links are added over and over (nearly tasks × links
//! times).
//!
//! ```text
//! cargo test --release -p coroutine --test await_points -- --nocapture
//! ```

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

/// Links each task adds: the same ones for all.
const LINKS: usize = 500;
/// Task counts to race at.
const TASKS: [usize; 3] = [4, 16, 64];

/// `tasks` tasks each add the same `LINKS` links to one seen-set, check then insert, with an
/// `.await` between the two when `await_in_gap`; returns how many adds claimed a new link.
fn race(tasks: usize, await_in_gap: bool) -> usize {
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async {
        let seen: Rc<RefCell<HashSet<usize>>> = Rc::default();
        let added: Rc<RefCell<usize>> = Rc::default();
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let (seen, added) = (seen.clone(), added.clone());
                tokio::task::spawn_local(async move {
                    for link in 0..LINKS {
                        if !seen.borrow().contains(&link) {
                            if await_in_gap {
                                tokio::task::yield_now().await;
                            }
                            seen.borrow_mut().insert(link);
                            *added.borrow_mut() += 1;
                        }
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.expect("the task ends");
        }
        assert_eq!(seen.borrow().len(), LINKS, "every link is seen in the end");
        *added.borrow()
    })
}

/// No `.await` between check and insert: each link is added once, at every task count. With
/// one: most tasks add most links (at least half of tasks × links; which ones depends on the
/// order tokio resumes yielded tasks in, the same on every run of one build).
#[test]
fn interrupted_only_at_await() {
    println!("{LINKS} links, added by every task, check then insert on a RefCell<HashSet>:");
    for tasks in TASKS {
        let without = race(tasks, false);
        let with = race(tasks, true);
        println!(
            "tasks={tasks:<3} no .await in the gap: {without:>6} adds ({} too many)   \
             an .await in the gap: {with:>6} adds ({} too many)",
            without - LINKS,
            with - LINKS
        );
        assert_eq!(without, LINKS, "no task can run between a check and its insert");
        assert!(with >= tasks * LINKS / 2, "at the .await the other tasks run their checks");
    }
}
