"""mkdocs hooks: generated parts of pages and generated pictures (see docgen.py).

Named in ``mkdocs.yml`` under ``hooks:``; mkdocs loads this file by path.
"""

import importlib.util
import os

from mkdocs.structure.files import File

_spec = importlib.util.spec_from_file_location(
    "_srcad_docs_docgen", os.path.join(os.path.dirname(os.path.abspath(__file__)), "docgen.py")
)
docgen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(docgen)


def on_files(files, config):
    for path, text in docgen.images().items():
        files.append(File.generated(config, path, content=text))
    return files


def on_page_markdown(markdown, page, config, files):
    return docgen.expand(markdown)
