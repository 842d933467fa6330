func convBenches() -> [Bench] { [] }

