"""Reading and checking the inputs: forces, periods, the measure catalogue, the national dataset,
the report structure and each force's inspection inputs.
"""
