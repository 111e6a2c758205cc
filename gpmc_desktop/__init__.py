"""gpmc-desktop: Microsoft Dynamics GP customers and receivables invoices into Mailchimp."""

__version__ = "0.1.0"
