-- schema.lua: GENERATED from store/internal/schema by `go generate ./store/`;
-- DO NOT EDIT. scripts.go prepends it to lib.lua (and to the scripts
-- that use it without the lib). Meanings: store/internal/schema/schema.go.
-- Job state: positions of the "|"-separated fields of request field "j:<r>:<s>".
local J_STATE = 1 -- state letter (JS_*)
local J_ATT = 2 -- number of leases
local J_MSGID = 3 -- Msg_Id of the last SUBMIT_RESP Result 0
local J_RESULT = 4 -- SUBMIT_RESP Result
local J_STAT = 5 -- last report Stat
local J_SUBAT = 6 -- submitted_at (ms)
local J_REPAT = 7 -- reported_at (ms)
local J_ERR = 8 -- error code
local J_OWNER = 9 -- lease owner
local J_DONE = 10 -- report Done_time
-- Job state letters (field J_STATE); d f u c are final. Usage counter fields: 'a' and s d f u c.
local JS_QUEUED = 'q'
local JS_LEASED = 'l'
local JS_SCHEDULED = 'w'
local JS_SUBMITTED = 's'
local JS_DELIVERED = 'd'
local JS_FAILED = 'f'
local JS_UNKNOWN = 'u'
local JS_CANCELLED = 'c'
local U_ACCEPTED = 'a' -- usage: accepted segments
-- Request hash fields; those ending in ':' are prefixes (+ r, s or r:s).
local F_R = 'R'
local F_S = 'S'
local F_TENANT = 'tenant'
local F_CHANNEL = 'channel'
local F_CB = 'cb'
local F_REF = 'ref'
local F_FMT = 'fmt'
local F_EXT = 'ext'
local F_CA = 'ca'
local F_W = 'w'
local F_PR = 'pr'
local F_TZ = 'tz'
local F_TOK = 'tok'
local F_TO = 'to:'
local F_SEG = 'seg:'
local F_UDHI = 'udhi:'
local F_CM = 'cm'
local F_CQ = 'cq'
local F_PT = 'pt'
local F_PN = 'pn'
local F_VT = 'vt'
local F_AT = 'at'
local F_JOB = 'j:'
local F_RC = 'rc:'
local F_RS = 'rs:'
local F_RF = 'rf:'
local F_ST = 'st'
local F_CX = 'cx'
local F_FIN = 'fin'
local F_NSUB = 'nsub'
local F_RFIN = 'rfin'
local F_N = 'n_'
local F_N_DELIVERED = 'n_delivered'
local F_N_FAILED = 'n_failed'
local F_N_UNKNOWN = 'n_unknown'
local F_N_CANCELLED = 'n_cancelled'
local F_MV = 'mv'
local F_MVFROM = 'mvfrom'
local J_N = 10 -- fields of a job state
