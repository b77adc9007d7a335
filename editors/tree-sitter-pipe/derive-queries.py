"""Writes Helix's and Zed's highlights.scm from the canonical one (run from editors/: python3 tree-sitter-pipe/derive-queries.py)."""
import re
src = open('tree-sitter-pipe/queries/highlights.scm').read()
header, _, body = src.partition('\n\n')
patterns = [p for p in body.strip().split('\n\n')]
helix_names = {
    'module': 'namespace', 'variable.member': 'variable.other.member', 'function.builtin': 'function.builtin',
    'keyword.import': 'keyword.control.import', 'number': 'constant.numeric', 'boolean': 'constant.builtin.boolean',
    'string.escape': 'constant.character.escape', 'comment.documentation': 'comment.line.documentation',
    'constant': 'constant', 'label': 'label', 'type': 'type', 'property': 'variable.other.member',
}
zed_names = {'module': 'type', 'comment.documentation': 'comment.doc', 'variable.member': 'property', 'keyword.import': 'keyword'}
def rename(text, names):
    return re.sub(r'@([a-z][a-z.]*)', lambda m: '@' + names.get(m.group(1), m.group(1)), text)
helix = ['; Helix: generated from editors/tree-sitter-pipe/queries/highlights.scm with Helix\'s capture names,',
         '; in reverse order (in Helix the first matching pattern wins, in Neovim the last).']
open('helix/queries/pipe/highlights.scm', 'w').write('\n'.join(helix) + '\n\n' + '\n\n'.join(rename(p, helix_names) for p in reversed(patterns)) + '\n')
zed = ['; Zed: generated from editors/tree-sitter-pipe/queries/highlights.scm with the capture names',
       '; Zed\'s themes style.']
open('zed/languages/pipe/highlights.scm', 'w').write('\n'.join(zed) + '\n\n' + '\n\n'.join(rename(p, zed_names) for p in patterns) + '\n')
