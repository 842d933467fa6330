// TLData: see README architecture section.
