"""What cv-analytics costs a month, as data: the project's one price table (:mod:`.prices`), the
measured inputs of the processing model (:mod:`.inputs`, from the benches), the model itself
(:mod:`.model`: ours and the seed design, service by service) and its rendering (:mod:`.render`)
for ``cv-analytics cost``. Pure domain code: no AWS SDK, base dependencies only.
"""
