// TLOptim: see README architecture section.
