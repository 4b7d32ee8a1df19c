-- 0008 an enquiry's own material (the enquiry, its strategy meetings and information requests) is in the
-- "enquiry" data class, which only the enquiry's members reach; it was children's social care at large.
UPDATE "Enquiries" SET "DataClass" = 'enquiry' WHERE "DataClass" = 'la.social-care';
UPDATE "StrategyMeetings" SET "DataClass" = 'enquiry' WHERE "DataClass" = 'la.social-care';
UPDATE "InformationRequests" SET "DataClass" = 'enquiry' WHERE "DataClass" = 'la.social-care';
