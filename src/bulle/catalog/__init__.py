"""The catalog: persistence of datasets, versions, roles and governance objects."""
