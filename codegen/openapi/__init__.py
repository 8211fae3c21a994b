"""Everything oaimap's tooling does with the official OpenAPI document.

``python -m codegen import-openapi PATH`` (:mod:`.importer`) writes specs/ from it and
``oaimap specs diff PATH`` (:mod:`.drift`) lists what changed since. Only the checkout has
this package: the runtime (``oaimap/``) never reads the document.

- :mod:`.document`: reading the document, its operations and their answers
- :mod:`.refs`: the document's ``$ref``s, and the project's mapped back onto them
- :mod:`.schemas`: component schemas reduced to structure
- :mod:`.convert`: one operation as oaimap spec fields
- :mod:`.examples`: the document's example requests (curl), answers and streams
- :mod:`.synthesize`, :mod:`.naming`, :mod:`.families`, :mod:`.yaml_style`: the importer's helpers
"""
