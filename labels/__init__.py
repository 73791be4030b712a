"""Labels: pure functions from label data to PNG and PDF bytes.

Owns the label layouts (60x40 mm thermal, 100x150 mm, A4 sheets), the QR and Code128 symbols and
the font lookup. Takes plain data and returns bytes: no database, no settings, no network.

Imports libraries only (Pillow, qrcode, python-barcode, fpdf2); no other package of this project.
"""
