#!/usr/bin/env python3
"""The chapter's crawler, in the chapter's language: Python asyncio coroutines and aiohttp.

A peer for `compare --peers`, not one of the models: it is what the Rust models are measured
against. It keeps the shape of the chapter's `crawling.py` (Davis & van Rossum, "A Web Crawler
With asyncio Coroutines"): a `Crawler` with `crawl`, `work`, `fetch` and `parse_links`, an
`asyncio.Queue` joined by `crawl`, `max_tasks` worker tasks cancelled at the end. What differs
from the chapter is what docs/contract.md (the contract every model's binary keeps) fixes:

- links are the href of a/area/link (and <base href>) as an HTML parser finds them, so that
  comments, <script> and <style> hold none, not a regular expression over the text;
- the URL's normal form, the host rules, --exclude, --max-pages and --max-depth;
- content_type and encoding only for a 200, encoding as declared;
- a JSON Lines report (--json) with the contract's keys, sorted by url; exit 2 on bad input;
  Ctrl-C prints what is done and exits 130.

    python3 crawl.py http://127.0.0.1:8080/ --max-tasks 100 --json

Needs aiohttp (`pip install aiohttp`).
"""

import argparse
import asyncio
import codecs
import ipaddress
import json
import logging
import re
import signal
import ssl
import sys
import time
import urllib.parse
from collections import namedtuple
from html.parser import HTMLParser

try:
    import aiohttp
except ImportError:
    sys.exit("error: this crawler needs aiohttp (pip install aiohttp)")

LOGGER = logging.getLogger(__name__)

FetchStatistic = namedtuple(
    "FetchStatistic",
    ["url", "next_url", "status", "exception", "size", "content_type", "encoding",
     "num_urls", "num_new_urls"],
)

REDIRECTS = (300, 301, 302, 303, 307, 308)
BODY_CAP = 10 * 1024 * 1024
DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize(url):
    """The `url` crate's normal form: lower-case scheme and host, default port dropped, "/" for
    an empty path, no fragment. None for a URL that is not http(s) or has no host."""
    parts = urllib.parse.urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = "[" + host + "]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    # Percent-encoded as the WHATWG URL standard's path and query sets say (the `url` crate's
    # form): a space, quotes, angle brackets and non-ASCII; `%` itself is kept.
    path = urllib.parse.quote(parts.path or "/", safe="!$%&'()*+,/:;=@[\\]^|")
    query = urllib.parse.quote(parts.query, safe="!$%&()*+,/:;=?@[\\]^`{|}")
    return urllib.parse.urlunsplit((scheme, netloc, path, query if "?" in url else "", ""))


async def read_body(response):
    """The body, up to BODY_CAP bytes (`content.read(n)` returns what is buffered, not n)."""
    chunks, size = [], 0
    while size < BODY_CAP:
        chunk = await response.content.read(BODY_CAP - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def is_ip(host):
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


class LinkParser(HTMLParser):
    """Collects the href of a, area and link in document order, resolving against <base href>.
    html.parser keeps comments, <script> and <style> out of the tags it reports."""

    def __init__(self, base):
        super().__init__(convert_charrefs=True)
        self.base = base
        self.hrefs = []
        self.base_seen = False

    def handle_starttag(self, tag, attrs):
        if tag not in ("a", "area", "link", "base"):
            return
        href = next((v for k, v in attrs if k == "href" and v is not None), None)
        if href is None:
            return
        if tag == "base":
            if not self.base_seen:
                self.base_seen = True
                self.base = urllib.parse.urljoin(self.base, href.strip())
            return
        self.hrefs.append(urllib.parse.urljoin(self.base, href.strip()))

    handle_startendtag = handle_starttag


class Crawler:
    """Crawl a set of URLs: the chapter's class, its fields and methods by the same names."""

    def __init__(self, roots, exclude=None, strict=True, max_redirect=10, max_tries=4,
                 max_tasks=10, timeout=10.0, max_pages=None, max_depth=None, ca_file=None):
        self.roots = roots
        self.exclude = exclude
        self.strict = strict
        self.max_redirect = max_redirect
        self.max_tries = max_tries
        self.max_tasks = max_tasks
        self.max_pages = max_pages
        self.max_depth = max_depth
        self.q = asyncio.Queue()
        self.seen_urls = set()
        self.done = []
        # https: the system's roots, and the CA of --ca-file (a test site's) beside them.
        tls = ssl.create_default_context()
        if ca_file:
            tls.load_verify_locations(ca_file)
        connector = aiohttp.TCPConnector(limit=max_tasks, ssl=tls)
        self.session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=timeout),
            auto_decompress=False)
        self.root_domains = set()
        for root in roots:
            host = urllib.parse.urlsplit(root).hostname
            if is_ip(host):
                self.root_domains.add(host)
            elif strict:
                self.root_domains.add(host)
            else:
                self.root_domains.add(lenient_host(host))
        for root in roots:
            self.seen_urls.add(root)
            self.q.put_nowait((root, self.max_redirect, 0))
        self.t0 = time.time()
        self.t1 = None

    async def close(self):
        await self.session.close()

    def host_okay(self, host):
        host = host.lower()
        if host in self.root_domains:
            return True
        if is_ip(host):
            return False
        if self.strict:
            twin = host[4:] if host.startswith("www.") else "www." + host
            return twin in self.root_domains
        return lenient_host(host) in self.root_domains

    def url_allowed(self, url):
        if self.exclude and self.exclude.search(url):
            return False
        host = urllib.parse.urlsplit(url).hostname
        return host is not None and self.host_okay(host)

    def admit(self, url, depth):
        """"new", "seen" or "refused" (--max-pages, --max-depth: not marked seen)."""
        if url in self.seen_urls:
            return "seen"
        if (self.max_depth is not None and depth > self.max_depth) or (
                self.max_pages is not None and len(self.seen_urls) >= self.max_pages):
            return "refused"
        self.seen_urls.add(url)
        return "new"

    async def parse_links(self, url, response):
        """Return a FetchStatistic and the allowed links, in document order."""
        links = []
        content_type = None
        encoding = None
        body = await read_body(response)
        if response.status == 200:
            header = response.headers.get("content-type")
            charset = None
            if header:
                media, _, params = header.partition(";")
                content_type = media.strip().lower() or None
                for param in params.split(";"):
                    key, _, value = param.partition("=")
                    if key.strip().lower() == "charset":
                        charset = value.strip().strip('"')
                        break
            parsed = content_type in ("text/html", "application/xml")
            if charset is None and parsed:
                m = re.search(rb"""<meta[^>]+charset=["']?([\w-]+)""", body[:1024], re.I)
                charset = m.group(1).decode("ascii") if m else None
            encoding = charset.lower() if charset else "utf-8"
            if parsed:
                try:
                    codec = codecs.lookup(encoding).name
                except LookupError:
                    codec = "utf-8"
                parser = LinkParser(url)
                parser.feed(body.decode(codec, errors="replace"))
                parser.close()
                for href in parser.hrefs:
                    link = normalize(href)
                    if link and self.url_allowed(link) and link not in links:
                        links.append(link)
        stat = FetchStatistic(
            url=url, next_url=None, status=response.status, exception=None, size=len(body),
            content_type=content_type, encoding=encoding, num_urls=len(links),
            num_new_urls=0)
        return stat, links

    def record_statistic(self, fetch_statistic):
        self.done.append(fetch_statistic)

    async def fetch(self, url, max_redirect, depth):
        """Fetch one URL; retry network errors up to max_tries requests in all."""
        tries = 0
        exception = None
        while tries < self.max_tries:
            try:
                response = await self.session.get(url, allow_redirects=False)
                break
            except (aiohttp.ClientError, asyncio.TimeoutError) as client_error:
                LOGGER.info("try %r for %r raised %r", tries, url, client_error)
                exception = client_error
            tries += 1
        else:
            self.record_statistic(FetchStatistic(
                url=url, next_url=None, status=None,
                exception=f"{type(exception).__name__}: {exception}", size=0,
                content_type=None, encoding=None, num_urls=0, num_new_urls=0))
            return
        try:
            location = response.headers.get("location")
            if response.status in REDIRECTS and location is not None:
                next_url = normalize(urllib.parse.urljoin(url, location.strip()))
                self.record_statistic(FetchStatistic(
                    url=url, next_url=next_url, status=response.status, exception=None,
                    size=0, content_type=None, encoding=None, num_urls=0, num_new_urls=0))
                if next_url is None or next_url in self.seen_urls:
                    return
                if not self.url_allowed(next_url):
                    return
                if max_redirect > 0:
                    if self.admit(next_url, depth) == "new":
                        self.q.put_nowait((next_url, max_redirect - 1, depth))
                else:
                    LOGGER.warning("redirect limit reached for %r from %r", next_url, url)
            else:
                stat, links = await self.parse_links(url, response)
                new = 0
                for link in links:
                    admitted = self.admit(link, depth + 1)
                    if admitted != "seen":
                        new += 1
                    if admitted == "new":
                        self.q.put_nowait((link, self.max_redirect, depth + 1))
                self.record_statistic(stat._replace(num_new_urls=new))
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            # A body cut short: in the chapter's crawler this escaped and killed the worker.
            self.record_statistic(FetchStatistic(
                url=url, next_url=None, status=None, exception=f"{type(error).__name__}: {error}",
                size=0, content_type=None, encoding=None, num_urls=0, num_new_urls=0))
        finally:
            response.release()

    async def work(self):
        """Process queue items forever."""
        try:
            while True:
                url, max_redirect, depth = await self.q.get()
                assert url in self.seen_urls
                try:
                    await self.fetch(url, max_redirect, depth)
                finally:
                    self.q.task_done()
        except asyncio.CancelledError:
            pass

    async def crawl(self, stop):
        """Run the crawler until all finished (or Ctrl-C)."""
        workers = [asyncio.ensure_future(self.work()) for _ in range(self.max_tasks)]
        self.t0 = time.time()
        joined = asyncio.ensure_future(self.q.join())
        await asyncio.wait([joined, stop], return_when=asyncio.FIRST_COMPLETED)
        joined.cancel()
        self.t1 = time.time()
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


def lenient_host(host):
    parts = host.rstrip(".").split(".")
    return ".".join(parts[-2:])


def report(crawler, as_json, interrupted, file=sys.stdout):
    stats = sorted(crawler.done, key=lambda s: s.url)
    if as_json:
        for s in stats:
            print(json.dumps(s._asdict(), separators=(",", ":")), file=file)
        return
    for s in stats:
        if s.exception:
            print(f"{s.url} error {s.exception}", file=file)
        elif s.next_url:
            print(f"{s.url} {s.status} redirect {s.next_url}", file=file)
        else:
            print(f"{s.url} {s.status} {s.content_type} {s.encoding} {s.size} "
                  f"{s.num_new_urls}/{s.num_urls}", file=file)
    elapsed = (crawler.t1 or time.time()) - crawler.t0
    print(f"Finished {len(stats)} urls in {elapsed:.3f} secs", file=file)
    if interrupted:
        print("Interrupted", file=file)
    print(f"Todo: {crawler.q.qsize()}", file=file)
    print(f"Done: {len(stats)}", file=file)


def parse_args(argv):
    class Parser(argparse.ArgumentParser):
        def error(self, message):
            print(f"error: {message} (see --help)", file=sys.stderr)
            sys.exit(2)

    p = Parser(description="Crawl a web site from one or more roots and report every URL.")
    p.add_argument("roots", nargs="+", metavar="ROOT")
    p.add_argument("--max-tasks", type=int, default=10)
    p.add_argument("--max-redirect", type=int, default=10)
    p.add_argument("--max-tries", type=int, default=4)
    p.add_argument("--exclude")
    p.add_argument("--lenient", action="store_true")
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--max-pages", type=int)
    p.add_argument("--max-depth", type=int)
    p.add_argument("--json", action="store_true")
    p.add_argument("--ca-file")
    p.add_argument("-v", "--verbose", action="count", default=0)
    p.add_argument("-q", "--quiet", action="count", default=0)
    args = p.parse_args(argv)
    if args.max_tasks < 1 or args.max_tries < 1:
        p.error("--max-tasks and --max-tries must be at least 1")
    try:
        args.exclude = re.compile(args.exclude) if args.exclude else None
    except re.error as e:
        p.error(f"bad --exclude regex: {e}")
    roots = []
    for root in args.roots:
        url = root if "://" in root else "http://" + root
        normal = normalize(url)
        if normal is None:
            p.error(f"bad root URL {root!r}: only http and https are crawled")
        if normal not in roots:
            roots.append(normal)
    args.roots = roots
    return args


async def main_async(args):
    crawler = Crawler(
        args.roots, exclude=args.exclude, strict=not args.lenient,
        max_redirect=args.max_redirect, max_tries=args.max_tries, max_tasks=args.max_tasks,
        timeout=args.timeout, max_pages=args.max_pages, max_depth=args.max_depth,
        ca_file=args.ca_file)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()

    def interrupted():
        if stop.done():
            sys.exit(130)
        print("interrupted: taking no new URLs; printing the report of what is done",
              file=sys.stderr)
        stop.set_result(None)

    loop.add_signal_handler(signal.SIGINT, interrupted)
    try:
        await crawler.crawl(stop)
    finally:
        await crawler.close()
    return crawler, stop.done()


def main():
    args = parse_args(sys.argv[1:])
    levels = {-2: logging.CRITICAL + 1, -1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}
    level = levels.get(max(-2, min(1, args.verbose - args.quiet)), logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(message)s")
    crawler, interrupted = asyncio.run(main_async(args))
    report(crawler, args.json, interrupted)
    sys.exit(130 if interrupted else 0)


if __name__ == "__main__":
    main()
