"""Kaggle-style CSV tables (``id,<value>``), read with errors that name the file and the line."""
import csv
import os.path as osp
from typing import Dict

from .errors import DataError, MissingDataError


def read_csv_column(path: str, key: str, value: str) -> Dict[str, str]:
    """Read a two-column Kaggle CSV (``id,<value>``) into ``{id: value}`` (UTF-8, a byte-order
    mark accepted).

    Raises:
        MissingDataError: no such file.
        DataError: a column is missing or an id appears twice (the message gives the line).
    """
    if not osp.isfile(path):
        raise MissingDataError(path, 'CSV file not found')
    table: Dict[str, str] = {}
    with open(path, newline='', encoding='utf-8-sig') as f:  # a UTF-8 BOM (Excel) accepted
        reader = csv.DictReader(f)
        if reader.fieldnames is None or key not in reader.fieldnames or \
                value not in reader.fieldnames:
            raise DataError(path, f'expected columns {key!r} and {value!r}, found '
                            f'{reader.fieldnames}')
        for row in reader:
            rid = (row[key] or '').strip()
            if not rid:
                raise DataError(path, f'line {reader.line_num}: empty {key!r}')
            if rid in table:
                raise DataError(path, f'line {reader.line_num}: duplicate id {rid!r}')
            table[rid] = (row[value] or '').strip()
    return table
