#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""doc_examples.py - the documentation's examples, run as written.

    doc_examples.py list PAGE         the commands found, one per line
    doc_examples.py run PAGE OUTDIR   run them; exit 0 when all pass

PAGE is an mdoc manual page (its EXAMPLES section's `.Bd -literal` blocks)
or a Markdown file (its ```console blocks).  In a block, a line starting
with "$ " or "# " is a command (a trailing backslash continues it); every
other non-empty line is output expected from the command above it: each
must match, in order, a line of what the command printed (stdout and
stderr together), "..." standing for any text.  `.\\" skip: REASON` right
before a command (mdoc) or `<!-- skip: REASON -->` right before a block
(Markdown) shows it without running it.  man/README.md has the rules the
pages are written to; tests/docs/examples.sh provides the environment
(private swtpm, namespaces, the installed tree).

All commands of a page run in order in one bash, in the current
directory and environment, stdin /dev/null; the first failure stops the
page.  Each command's output is kept in OUTDIR/N.out."""

import os
import re
import subprocess
import sys

MDOC_ESCAPES = {'\\-': '-', '\\e': '\\', "\\(aq": "'", '\\&': ''}
COMMAND_TIMEOUT = 120  # seconds for a whole page


class DocError(Exception):
    pass


def mdoc_unescape(line, where):
    out = ''
    i = 0
    while i < len(line):
        if line[i] != '\\':
            out += line[i]
            i += 1
            continue
        for esc, repl in MDOC_ESCAPES.items():
            if line.startswith(esc, i):
                out += repl
                i += len(esc)
                break
        else:
            raise DocError('%s: escape %r in an example block (use only %s)' %
                           (where, line[i:i + 4], ' '.join(MDOC_ESCAPES)))
    return out


def new_command(text, where, skip):
    return {'cmd': text, 'where': where, 'skip': skip, 'expect': []}


def parse_lines(lines, cmds, skip_next, where_of):
    """Commands and expected output from one block's lines."""
    cur = None
    cont = False
    for n, line in lines:
        where = where_of(n)
        if cont:
            cur['cmd'] += '\n' + line
            cont = line.endswith('\\')
            continue
        if line.startswith('$ ') or line.startswith('# '):
            cur = new_command(line[2:], where, skip_next(n))
            cmds.append(cur)
            cont = line.endswith('\\')
        elif line.strip():
            if cur is None:
                raise DocError('%s: output %r before any command' % (where, line))
            cur['expect'].append((where, line.rstrip()))


def parse_mdoc(path):
    text = open(path, encoding='utf-8').read().split('\n')
    cmds = []
    in_examples = False
    block = None
    skips = {}
    pending_skip = None
    for i, raw in enumerate(text, 1):
        where = '%s:%d' % (os.path.basename(path), i)
        if raw.startswith('.Sh '):
            in_examples = raw[4:].strip() == 'EXAMPLES'
            continue
        if not in_examples:
            continue
        if block is None:
            if raw.startswith('.Bd -literal'):
                block = []
            continue
        if raw.startswith('.Ed'):
            parse_lines(block, cmds, lambda n: skips.get(n), lambda n: '%s:%d' % (
                os.path.basename(path), n))
            block = None
            continue
        m = re.match(r'^\.\\"\s*skip:\s*(.*)$', raw)
        if m:
            if not m.group(1).strip():
                raise DocError('%s: skip without a reason' % where)
            pending_skip = m.group(1).strip()
            continue
        if raw.startswith('.\\"'):
            continue
        if raw.startswith('.'):
            raise DocError('%s: macro %r inside an example block' % (where, raw))
        line = mdoc_unescape(raw, where)
        if pending_skip is not None:
            if not (line.startswith('$ ') or line.startswith('# ')):
                raise DocError('%s: a skip comment must come right before a command' % where)
            skips[i] = pending_skip
            pending_skip = None
        block.append((i, line))
    if block is not None:
        raise DocError('%s: .Bd without .Ed in EXAMPLES' % path)
    return cmds


def parse_markdown(path):
    text = open(path, encoding='utf-8').read().split('\n')
    cmds = []
    block = None
    block_skip = None
    last_skip = None
    indent = ''
    for i, raw in enumerate(text, 1):
        if block is None:
            m = re.match(r'^\s*<!--\s*skip:\s*(.*?)\s*-->\s*$', raw)
            if m:
                last_skip = (i, m.group(1))
                continue
            m = re.match(r'^(\s*)```(.*)$', raw)
            if m:
                # (A fence in a list item is indented; so is its text.)
                indent = m.group(1)
                if m.group(2).strip() == 'console':
                    block = []
                    block_skip = last_skip[1] if last_skip and last_skip[0] == i - 1 else None
                else:
                    block = False  # a fence we do not run
            continue
        if raw.startswith(indent):
            raw = raw[len(indent):]
        if raw.startswith('```'):
            if block is not False:
                skip = block_skip
                parse_lines(block, cmds, lambda n: skip, lambda n: '%s:%d' % (
                    os.path.basename(path), n))
            block = None
            continue
        if block is not False:
            block.append((i, raw))
    return cmds


def parse(path):
    if path.endswith('.md'):
        return parse_markdown(path)
    return parse_mdoc(path)


def glob_regex(expected):
    return '^' + '.*'.join(re.escape(p) for p in expected.split('...')) + '$'


def run(path, outdir):
    cmds = parse(path)
    runnable = [c for c in cmds if not c['skip']]
    if not runnable:
        print('not ok - %s: no runnable example' % path)
        return 1
    os.makedirs(outdir, exist_ok=True)
    script = ['exec </dev/null']
    for n, c in enumerate(cmds):
        if c['skip']:
            continue
        script.append('{\n%s\n} >%s/%d.out 2>&1' % (c['cmd'], outdir, n))
        script.append('__rc=$?; echo $__rc >%s/%d.rc; [ $__rc -eq 0 ] || exit 97' %
                      (outdir, n))
    script.append('exit 0')
    spath = os.path.join(outdir, 'script.sh')
    with open(spath, 'w') as f:
        f.write('\n'.join(script) + '\n')
    try:
        proc = subprocess.run(['bash', '--norc', '--noprofile', spath], timeout=COMMAND_TIMEOUT)
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        rc = None
    failed = 0
    for n, c in enumerate(cmds):
        one = c['cmd'].replace('\n', ' ')
        if c['skip']:
            print('ok - %s: $ %s # SKIP %s' % (c['where'], one, c['skip']))
            continue
        rcfile = os.path.join(outdir, '%d.rc' % n)
        out = open(os.path.join(outdir, '%d.out' % n), errors='replace').read() \
            if os.path.exists(os.path.join(outdir, '%d.out' % n)) else ''
        if not os.path.exists(rcfile):
            why = 'timed out after %d s' % COMMAND_TIMEOUT if rc is None else 'did not run'
            print('not ok - %s: $ %s: %s\n%s' % (c['where'], one, why, out))
            failed += 1
            break
        crc = open(rcfile).read().strip()
        if crc != '0':
            print('not ok - %s: $ %s: exit %s\n%s' % (c['where'], one, crc, out))
            failed += 1
            break
        lines = out.split('\n')
        pos = 0
        for where, exp in c['expect']:
            rx = re.compile(glob_regex(exp))
            while pos < len(lines) and not rx.match(lines[pos].rstrip()):
                pos += 1
            if pos == len(lines):
                print('not ok - %s: $ %s: expected output line %r not printed (in order); got:\n%s'
                      % (where, one, exp, out))
                failed += 1
                break
            pos += 1
        else:
            print('ok - %s: $ %s' % (c['where'], one))
    if rc not in (0, 97) and not failed:
        print('not ok - %s: the page\'s shell exited %s' % (path, rc))
        failed += 1
    return 1 if failed else 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == 'list':
        for c in parse(sys.argv[2]):
            print('%s: %s$ %s' % (c['where'], '(skip: %s) ' % c['skip'] if c['skip'] else '',
                                  c['cmd']))
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == 'run':
        return run(sys.argv[2], sys.argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    try:
        sys.exit(main())
    except DocError as e:
        print('not ok - %s' % e)
        sys.exit(1)
