// TLNN: see README architecture section.
