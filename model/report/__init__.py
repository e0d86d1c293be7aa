"""Presentation and files: units, bilingual labels, fonts, charts, CSV / Excel / Parquet
writers, manifests, the HTML report and the batch run that writes them.

matplotlib, pyarrow and openpyxl are imported only inside the functions that use them,
so importing this layer stays light.
"""
