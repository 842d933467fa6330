// TLTransfer: see README architecture section.
