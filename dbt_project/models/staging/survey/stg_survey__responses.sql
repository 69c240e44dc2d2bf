with

source as (

    select * from {{ source('survey', 'survey_responses') }}

),

renamed as (

    select
        ----------  ids
        response_id,
        survey_name,
        trim(external_reference) as external_reference,
        {{ salesforce_id_15('trim(external_reference)') }} as external_reference_15,

        ----------  text
        nullif(lower(trim(recipient_email)), '') as recipient_email_sha256,  -- salted hash
        source_format,
        response_status,
        user_language,
        distribution_channel,
        nps_question_id,
        csat_question_id,
        comment_question_id,
        comment,
        {{ json_extract_text('answers_json', 'touchpoint') }} as embedded_touchpoint,
        source_timezone,

        ----------  numbers (whole numbers only: '7.5' is NULL here and fails cast_is_exact)
        {{ text_to_integer('progress') }} as progress_percent,
        {{ text_to_integer('nps_score') }} as nps_score,
        {{ text_to_integer('csat_score') }} as csat_score,

        ----------  booleans (numeric Status codes: 1 preview, 2 test; SurveyMonkey
        ----------  writes no status and no finished flag, only the responses exported)
        coalesce(
            response_status in ('Survey Preview', 'Survey Test', '1', '2'), false
        ) as is_preview,
        coalesce(
            {{ to_boolean('is_finished') }}, source_format = 'surveymonkey_csv', false
        ) as is_finished,

        ----------  timestamps (local time of the survey's zone to UTC)
        {{ local_to_utc_timestamp('started_at_local', 'source_timezone') }} as started_at,
        {{ local_to_utc_timestamp('ended_at_local', 'source_timezone') }} as ended_at,
        {{ local_to_utc_timestamp('recorded_at_local', 'source_timezone') }} as recorded_at,

        ----------  lineage
        _load_id,
        _source_file,
        _source_row,
        _loaded_at

    from source

),

-- A response exported again (a later export, a re-delivered file) keeps its latest load.
deduplicated as (

    {{ latest_loaded_copy('renamed', 'response_id') }}

),

final as (

    select
        response_id,
        survey_name,
        external_reference,
        external_reference_15,
        recipient_email_sha256,
        source_format,
        response_status,
        user_language,
        distribution_channel,
        nps_question_id,
        csat_question_id,
        comment_question_id,
        comment,
        embedded_touchpoint,
        source_timezone,
        progress_percent,
        nps_score,
        {{ nps_category('nps_score') }} as nps_category,
        csat_score,
        is_preview,
        is_finished,
        not is_preview and is_finished as is_valid_response,
        started_at,
        ended_at,
        recorded_at,
        _load_id,
        _source_file,
        _source_row,
        _loaded_at
    from deduplicated

)

select * from final
