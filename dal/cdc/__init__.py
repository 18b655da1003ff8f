"""Change data capture both ways: MySQL's binary log into DynamoDB, DynamoDB Streams into MySQL.

``dal cdc mysql`` tails the binary log (:mod:`dal.cdc.binlog`), turns each row change of a
contract table into the contract's items with the backfill's own derivation
(:mod:`dal.cdc.items`) and applies them under version guards (:mod:`dal.cdc.dynamo_apply`).
``dal cdc dynamodb`` reads the tables' streams (:mod:`dal.cdc.streams`) and applies the
items back to MySQL (:mod:`dal.cdc.mysql_apply`). Which direction runs for an entity
follows its stage (:mod:`dal.cdc.directions`); positions are kept in
``dal_cdc_positions`` (:mod:`dal.cdc.checkpoints`). See ``docs/cdc.md``.

This package imports nothing on import, so the modules it is made of can be used alone.
"""
