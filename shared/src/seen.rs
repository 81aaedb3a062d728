//! [`Seen`]: the seen-set and the admission rules (`--max-pages`, `--max-depth`, the redirect
//! budget). Plain data: each model decides how to share it (a field, a `Mutex`, a `RefCell`).

use std::collections::HashSet;

use url::Url;

use crate::Config;

/// One unit of work in a crawler's queue: a URL, the redirects it may still follow, and its link
/// distance from a root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The URL to fetch, in normal form.
    pub url: Url,
    /// Redirects this URL may still follow (the chapter's `max_redirect` in the queue tuple).
    pub max_redirect: u32,
    /// Links from a root to here; a redirect adds none.
    pub depth: u32,
}

/// What [`Seen::admit`] decided about a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// Not seen before: now marked seen; the caller must enqueue it.
    New,
    /// Already seen: nothing to do.
    Seen,
    /// Refused by `--max-pages` or `--max-depth`; *not* marked seen.
    Refused,
}

/// The set of URLs ever enqueued, with the crawl's caps.
///
/// `admit` is the check-and-insert the chapter warns about: a model must make each call atomic
/// with respect to every other (one critical section), or two workers can both find a URL new.
#[derive(Debug, Clone)]
pub struct Seen {
    urls: HashSet<Url>,
    max_pages: Option<usize>,
    max_depth: Option<u32>,
    max_redirect: u32,
}

impl Seen {
    /// The seen-set of a new crawl, with the roots already in it, and the roots' jobs.
    pub fn new(config: &Config) -> (Seen, Vec<Job>) {
        let seen = Seen {
            urls: config.roots.iter().cloned().collect(),
            max_pages: config.max_pages,
            max_depth: config.max_depth,
            max_redirect: config.max_redirect,
        };
        let jobs = config
            .roots
            .iter()
            .map(|url| Job { url: url.clone(), max_redirect: config.max_redirect, depth: 0 })
            .collect();
        (seen, jobs)
    }

    /// Whether `url` was ever enqueued.
    pub fn contains(&self, url: &Url) -> bool {
        self.urls.contains(url)
    }

    /// URLs ever enqueued, roots included.
    pub fn len(&self) -> usize {
        self.urls.len()
    }

    /// Whether nothing was ever enqueued (never true once a crawl has roots).
    pub fn is_empty(&self) -> bool {
        self.urls.is_empty()
    }

    /// Checks the caps for a URL at `depth`, and marks it seen if it is new and allowed.
    pub fn admit(&mut self, url: &Url, depth: u32) -> Admit {
        if self.urls.contains(url) {
            return Admit::Seen;
        }
        if self.max_depth.is_some_and(|max| depth > max)
            || self.max_pages.is_some_and(|max| self.urls.len() >= max)
        {
            return Admit::Refused;
        }
        self.urls.insert(url.clone());
        Admit::New
    }

    /// Adds the links of the page of `job`: returns how many were new (`num_new_urls`) and the
    /// jobs to enqueue, in document order. One call is one check-and-insert for every link.
    pub fn add_links(&mut self, job: &Job, links: &[Url]) -> (usize, Vec<Job>) {
        let mut num_new = 0;
        let mut jobs = Vec::new();
        for link in links {
            match self.admit(link, job.depth + 1) {
                Admit::Seen => {}
                Admit::Refused => num_new += 1,
                Admit::New => {
                    num_new += 1;
                    jobs.push(self.link_job(link, job));
                }
            }
        }
        (num_new, jobs)
    }

    /// The job of a link found on the page of `from`: a fresh redirect budget, one hop deeper.
    pub fn link_job(&self, link: &Url, from: &Job) -> Job {
        Job { url: link.clone(), max_redirect: self.max_redirect, depth: from.depth + 1 }
    }

    /// Follows a redirect of `job` to `target` (already allowed by the policy): the next job, or
    /// `None` if the target was seen, the redirect budget is spent, or a cap refuses it.
    pub fn add_redirect(&mut self, job: &Job, target: &Url) -> Option<Job> {
        if self.urls.contains(target) {
            return None;
        }
        if job.max_redirect == 0 {
            tracing::warn!("redirect limit reached for {target} from {}", job.url);
            return None;
        }
        match self.admit(target, job.depth) {
            Admit::New => Some(Job {
                url: target.clone(),
                max_redirect: job.max_redirect - 1,
                depth: job.depth,
            }),
            Admit::Seen | Admit::Refused => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    /// Roots are seen from the start; a link is new once, then seen.
    #[test]
    fn check_and_insert() {
        let config = Config::new(["http://h/"]).unwrap();
        let (mut seen, jobs) = Seen::new(&config);
        assert_eq!(jobs.len(), 1);
        let links = [url("http://h/"), url("http://h/a"), url("http://h/b")];
        let (num_new, next) = seen.add_links(&jobs[0], &links);
        assert_eq!(num_new, 2);
        assert_eq!(
            next.iter().map(|j| j.url.as_str()).collect::<Vec<_>>(),
            ["http://h/a", "http://h/b"]
        );
        assert_eq!((next[0].depth, next[0].max_redirect), (1, 10));
        assert_eq!(seen.add_links(&next[0], &links), (0, vec![]));
    }

    /// --max-pages counts roots; refused links stay unseen but count as new.
    #[test]
    fn max_pages() {
        let mut config = Config::new(["http://h/"]).unwrap();
        config.max_pages = Some(2);
        let (mut seen, jobs) = Seen::new(&config);
        let links = [url("http://h/a"), url("http://h/b")];
        let (num_new, next) = seen.add_links(&jobs[0], &links);
        assert_eq!((num_new, next.len()), (2, 1));
        assert!(!seen.contains(&links[1]));
        assert_eq!(seen.len(), 2);
    }

    /// --max-depth refuses links deeper than N; a redirect keeps the depth.
    #[test]
    fn max_depth() {
        let mut config = Config::new(["http://h/"]).unwrap();
        config.max_depth = Some(1);
        let (mut seen, jobs) = Seen::new(&config);
        let (_, next) = seen.add_links(&jobs[0], &[url("http://h/a")]);
        let (num_new, deeper) = seen.add_links(&next[0], &[url("http://h/b")]);
        assert_eq!((num_new, deeper.len()), (1, 0));
        let redirected = seen.add_redirect(&next[0], &url("http://h/c")).unwrap();
        assert_eq!((redirected.depth, redirected.max_redirect), (1, 9));
    }

    /// A redirect is followed once, and not at all when the budget is spent.
    #[test]
    fn redirect_budget() {
        let mut config = Config::new(["http://h/"]).unwrap();
        config.max_redirect = 0;
        let (mut seen, jobs) = Seen::new(&config);
        assert_eq!(seen.add_redirect(&jobs[0], &url("http://h/x")), None);
        assert!(!seen.contains(&url("http://h/x")));
        let job = Job { max_redirect: 1, ..jobs[0].clone() };
        assert!(seen.add_redirect(&job, &url("http://h/x")).is_some());
        assert_eq!(seen.add_redirect(&job, &url("http://h/x")), None);
    }
}
