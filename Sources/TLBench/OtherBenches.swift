func convBenches() -> [Bench] { [] }
func rowBenches() -> [Bench] { [] }
